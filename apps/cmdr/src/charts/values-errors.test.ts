import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse, stringify } from 'yaml';
import { cmdr, REPO_ROOT } from '../test-support/run.ts';

// helm renders and the schema models load slowly on a loaded two-core machine.
vi.setConfig({ testTimeout: 30_000 });

// A values mistake in projects.yaml, as an operator makes it: `cmdr deploy` says which setting breaks which
// rule of the chart's values.schema.json in words, not in the schema library's shorthand.
let root: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'cmdr-values-'));
  cpSync(join(REPO_ROOT, 'charts'), join(root, 'charts'), { recursive: true });
  cpSync(join(REPO_ROOT, 'infra'), join(root, 'infra'), { recursive: true });
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

async function deployWith(overrides: Record<string, unknown>) {
  const file = parse(readFileSync(join(REPO_ROOT, 'projects.yaml'), 'utf8'));
  const project = file.projects.find((p: { name: string }) => p.name === 'artist-api');
  project.environments.staging.values = { ...project.environments.staging.values, ...overrides };
  writeFileSync(join(root, 'projects.yaml'), stringify(file));
  return cmdr(['--root', root, 'deploy', 'artist-api', '--env', 'staging', '--tag', 't1', '--dry-run']);
}

describe('cmdr deploy with values the chart schema refuses', () => {
  it.each([
    {
      rule: 'a secret-looking key in config',
      values: { config: { LOG_LEVEL: 'info', STRIPE_API_KEY: 'x' } },
      words:
        'config.STRIPE_API_KEY is not allowed: a secret-looking name (SECRET, PASSWORD, TOKEN or API_KEY in it) belongs in secrets.keys, never in config',
    },
    {
      rule: 'a server URL in config',
      values: { config: { LOG_LEVEL: 'info', REDIS_URL: 'redis://x' } },
      words:
        'config.REDIS_URL is not allowed: a server URL carries credentials: it belongs in secrets.keys, never in config',
    },
    { rule: 'a minimum', values: { replicaCount: 0 }, words: 'replicaCount must be at least 1 (it is 0)' },
    { rule: 'a type', values: { service: { port: 'http' } }, words: 'service.port must be an integer, not a string' },
    {
      rule: 'an unknown setting',
      values: { confg: {} },
      words: 'confg is not a setting of this chart (settings are: ',
    },
    {
      rule: 'a required setting',
      values: { externalSecret: { enabled: true } },
      words: 'externalSecret needs secretStoreRef, remoteKey',
    },
    {
      rule: 'a pattern',
      values: { secrets: { name: 'artist-api', keys: ['database-url'] } },
      words:
        'secrets.keys[0] "database-url" is not of the form ^[A-Z_][A-Z0-9_]*$ (an environment variable name: capital letters, digits and _)',
    },
    {
      rule: 'a PodDisruptionBudget percentage over 100 (Kubernetes refuses it only at apply)',
      values: { podDisruptionBudget: { enabled: true, maxUnavailable: '150%' } },
      words:
        'podDisruptionBudget.maxUnavailable "150%" is not of the form ^(100|[1-9]?[0-9])%$ (a number of pods, or a percentage of them from 0% to 100% (Kubernetes refuses more than 100% at apply))',
    },
    {
      rule: 'a null block (helm deletes the default: before, a nil pointer inside the templates)',
      values: { autoscaling: null },
      words:
        "autoscaling is null: a null removes the chart's default autoscaling settings, which the chart needs (leave autoscaling out to keep the defaults, or give its settings)",
    },
    {
      rule: 'a null nested block',
      values: { ingress: { rateLimit: null } },
      words: "ingress.rateLimit is null: a null removes the chart's default ingress.rateLimit settings",
    },
  ])('names the setting and $rule in words', async ({ values, words }) => {
    const run = await deployWith(values);
    expect(run.code).toBe(6);
    expect(run.stderr).toContain('values of artist-api for staging break charts/artist-api/values.schema.json:');
    expect(run.stderr).toContain(`  - ${words}`);
    expect(run.stderr).not.toMatch(/'(allOf|not)' failed|at ''|nil pointer/);
  });

  it('a PodDisruptionBudget percentage of 100 or less, or a number, still renders', async () => {
    for (const maxUnavailable of ['100%', '0%', '25%', 2]) {
      const run = await deployWith({ podDisruptionBudget: { enabled: true, maxUnavailable } });
      expect(run.stderr).not.toContain('break');
      expect(run.code).toBe(0);
    }
  }, 120_000);
});

// A rule the schema cannot state (one setting against another) is a `fail` in the chart's templates; helm prints
// it behind "helm template failed: Error: execution error at (<template>:<line>:<col>):". cmdr puts the rule first.
describe('cmdr deploy with values a chart template refuses', () => {
  it("minReplicas above maxReplicas: the rule in words, helm's location only as detail", async () => {
    const run = await deployWith({ autoscaling: { enabled: true, minReplicas: 5, maxReplicas: 3 } });
    expect(run.code).toBe(6);
    expect(run.stderr).toContain(
      'values of artist-api for staging break a rule of charts/artist-api:\n' +
        '  - autoscaling.minReplicas (5) must not be greater than autoscaling.maxReplicas (3)\n' +
        '(helm template: execution error at artist-api/templates/hpa.yaml:',
    );
    expect(run.stderr).not.toMatch(/helm template failed|Error: execution error|--debug/);
  });

  it('cmdr charts check reports the same rule in words', async () => {
    const file = parse(readFileSync(join(REPO_ROOT, 'projects.yaml'), 'utf8'));
    const project = file.projects.find((p: { name: string }) => p.name === 'artist-api');
    project.environments.staging.values = {
      ...project.environments.staging.values,
      autoscaling: { enabled: true, minReplicas: 5, maxReplicas: 3 },
    };
    file.projects = [project];
    writeFileSync(join(root, 'projects.yaml'), stringify(file));
    const run = await cmdr(['--root', root, '--json', 'charts', 'check']);
    expect(run.code).toBe(6);
    // --json: the results, then the error line.
    const results = JSON.parse(run.stdout.slice(0, run.stdout.lastIndexOf('{"error"'))) as {
      env: string;
      problems: string[];
    }[];
    const staging = results.find((r) => r.env === 'staging');
    expect(staging?.problems).toContainEqual(
      expect.stringMatching(
        /^values: autoscaling\.minReplicas \(5\) must not be greater than autoscaling\.maxReplicas \(3\) \(helm template: execution error at artist-api\/templates\/hpa\.yaml:\d+:\d+\)$/,
      ),
    );
  }, 120_000);
});
