import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildProgram } from './program.ts';

// The CD pipeline (.gitlab-ci.yml) is checked three ways: against GitLab's own CI JSON schema (gitlab-ci-local
// bundles it and validates before anything else), for the shape the team deploys by (test -> images -> staging
// -> production, the last manual), and line by line: every script line must be one of the commands this
// repository tests, and every cmdr line must parse with cmdr's real command tree (subcommand, options,
// required options), so a renamed flag or command fails here and not in the first real pipeline.
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const pipelineText = readFileSync(join(root, '.gitlab-ci.yml'), 'utf8');
const pipeline = parse(pipelineText) as Record<string, unknown>;
const gitlabCiLocal = join(
  dirname(createRequire(import.meta.url).resolve('gitlab-ci-local/package.json')),
  'dist/index.js',
);
const work = mkdtempSync(join(tmpdir(), 'gitlab-ci-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

interface ListedJob {
  name: string;
  stage: string;
  when: string;
  allow_failure: boolean;
  needs?: { job: string }[];
}

/** gitlab-ci-local --list-json on a copy of the file in a repository of its own (default branch: main). */
function listJobs(text: string, name: string, variables: string[] = [], branch = 'main') {
  const dir = join(work, name);
  const git = (...args: string[]) => execFileSync('git', ['-C', dir, ...args], { stdio: 'pipe' });
  execFileSync('git', ['init', '-q', '-b', 'main', dir]);
  writeFileSync(join(dir, '.gitlab-ci.yml'), text);
  git('add', '.gitlab-ci.yml');
  git('-c', 'user.name=ci', '-c', 'user.email=ci@example.com', 'commit', '-qm', 'pipeline');
  git('remote', 'add', 'origin', 'https://gitlab.example.com/single/main.git');
  git('update-ref', 'refs/remotes/origin/main', 'HEAD');
  git('symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/main');
  if (branch !== 'main') git('checkout', '-q', '-b', branch);
  const run = spawnSync(
    process.execPath,
    [gitlabCiLocal, '--list-json', ...variables.flatMap((v) => ['--variable', v])],
    { cwd: dir, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } },
  );
  const jobs = run.status === 0 ? (JSON.parse(run.stdout.slice(run.stdout.search(/^\[$/m))) as ListedJob[]) : [];
  return { status: run.status, output: `${run.stdout}\n${run.stderr}`, jobs };
}

describe('.gitlab-ci.yml against GitLab CI schema', () => {
  it('validates, and runs test -> images -> staging -> production (manual, blocking) on the default branch', () => {
    const { status, output, jobs } = listJobs(pipelineText, 'main-branch');
    expect(status, output).toBe(0);
    expect(output).toContain('json schema validated');
    expect(pipeline.stages).toEqual(['test', 'images', 'staging', 'production']);
    const summary = jobs.map((j) => [j.name, j.stage, j.when, j.allow_failure, (j.needs ?? []).map((n) => n.job)]);
    expect(summary).toEqual([
      ['test', 'test', 'on_success', false, []],
      ['images', 'images', 'on_success', false, ['test']],
      ['deploy-staging', 'staging', 'on_success', false, ['images']],
      ['promote-production', 'production', 'manual', false, ['images', 'deploy-staging']],
    ]);
    const job = (name: string) => pipeline[name] as { environment?: { name: string }; artifacts?: { paths: string[] } };
    expect(job('deploy-staging').environment?.name).toBe('staging');
    expect(job('promote-production').environment?.name).toBe('production');
    // Deploy and promote pin the digests the images job recorded: its record must travel to them.
    const variables = pipeline.variables as Record<string, string>;
    expect(job('images').artifacts?.paths).toEqual([variables.CMDR_IMAGES_FILE]);
    // Production promotes what deploy-staging recorded (its kubeconfig cannot read staging): the record travels.
    expect(variables.CMDR_STATE_FILE).toBeDefined();
    expect(job('deploy-staging').artifacts?.paths).toEqual([variables.CMDR_STATE_FILE]);
  }, 60_000);

  it('never lets a newer push cancel a push or a helm upgrade midway (interruptible: false)', () => {
    for (const name of ['images', 'deploy-staging', 'promote-production']) {
      expect((pipeline[name] as { interruptible?: boolean }).interruptible, name).toBe(false);
    }
  });

  it('runs only the tests on a merge request: nothing is pushed or deployed from a branch', () => {
    const { status, output, jobs } = listJobs(
      pipelineText,
      'merge-request',
      ['CI_PIPELINE_SOURCE=merge_request_event'],
      'feature/new-report',
    );
    expect(status, output).toBe(0);
    expect(jobs.filter((j) => j.when !== 'never').map((j) => j.name)).toEqual(['test']);
  }, 60_000);

  it('is refused by the schema when a key is wrong (the validation is real)', () => {
    const broken = pipelineText.replace('      when: manual', '      when: sometimes');
    expect(broken).not.toBe(pipelineText);
    const { status, output } = listJobs(broken, 'broken');
    expect(status).not.toBe(0);
    expect(output).toContain("'when' property must be one of");
  }, 60_000);
});

// ---- every script line is a command tested here

const SAMPLE_VARIABLES: Record<string, string> = {
  RELEASE_TAG: '1a2b3c4d',
  CI_COMMIT_SHORT_SHA: '1a2b3c4d',
  CI_COMMIT_SHA: '1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b',
};
const BOOTSTRAP = ['node', 'scripts/bootstrap.mjs'];
const CMDR = ['node', '--conditions=source', 'apps/cmdr/src/main.ts'];

/** Shell words of one line: plain words, "double" and 'single' quotes, $VAR and ${VAR} from the samples. */
function words(line: string): string[] {
  if (/[|;&<>`]|\$\(/.test(line)) throw new Error(`one plain command per line, no shell operators: ${line}`);
  const expand = (s: string) =>
    s.replace(/\$\{?([A-Z_][A-Z0-9_]*)\}?/g, (_m, name: string) => {
      const value = SAMPLE_VARIABLES[name];
      if (value === undefined) throw new Error(`unknown variable $${name} in: ${line}`);
      return value;
    });
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) =>
    m[2] !== undefined ? m[2] : expand(m[1] ?? m[3] ?? ''),
  );
}

function scriptLines(): { job: string; line: string }[] {
  const lines: { job: string; line: string }[] = [];
  for (const [name, value] of Object.entries(pipeline)) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
    for (const key of ['before_script', 'script', 'after_script'] as const) {
      const script = (value as Record<string, unknown>)[key];
      if (script === undefined) continue;
      for (const line of [script].flat(2)) lines.push({ job: name, line: String(line) });
    }
  }
  return lines;
}

/** Parses argv with cmdr's real command tree, every action replaced: returns the subcommand path it reached. */
async function cmdrParses(argv: string[]): Promise<string> {
  const errors: string[] = [];
  const program = buildProgram({ out: () => {}, err: (s) => errors.push(s), errIsTTY: false, env: {}, cwd: root });
  let reached = '';
  const neuter = (command: Command, path: string[]) => {
    for (const sub of command.commands) {
      const subPath = [...path, sub.name()];
      // Only leaves: an action on a group (`images`) would swallow its unknown subcommands.
      if (sub.commands.length === 0)
        sub.action(() => {
          reached = subPath.join(' ');
        });
      neuter(sub, subPath);
    }
  };
  neuter(program, []);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    throw new Error(`cmdr ${argv.join(' ')}: ${(error as Error).message} ${errors.join('')}`);
  }
  return reached;
}

// Each cmdr subcommand the pipeline calls, and the test that runs it for real.
const CMDR_TESTED_BY: Record<string, { file: string; contains: string }> = {
  'images login': { file: 'apps/cmdr/src/images/login.test.ts', contains: "'images', 'login'" },
  'images build': { file: 'docker/registry-check.sh', contains: 'cmdr images build' },
  'images push': { file: 'apps/cmdr/src/images/registry.int.test.ts', contains: "'images', 'push'" },
  deploy: { file: 'apps/cmdr/src/cli/deploy-commands.test.ts', contains: "'deploy'" },
  promote: { file: 'apps/cmdr/src/cli/deploy-commands.test.ts', contains: "'promote'" },
};

/** The commands besides cmdr, each a step of the test gate that CI runs (scripts/test.sh through .ci/run). */
const GATE_COMMANDS: Record<string, () => void> = {
  'npm test': () => {
    expect(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.test).toBe(
      'node scripts/bootstrap.mjs bash scripts/test.sh',
    );
    expect(readFileSync(join(root, '.ci/run'), 'utf8')).toMatch(/^npm test$/m);
  },
  'node scripts/bootstrap.mjs pnpm install --frozen-lockfile': () => {
    const gate = readFileSync(join(root, 'scripts/test.sh'), 'utf8');
    expect(gate).toContain('frozen=--frozen-lockfile');
    expect(gate).toContain('pnpm install "$frozen"');
  },
};

describe('.gitlab-ci.yml script lines', () => {
  const lines = scriptLines();

  it('are each a command tested here: the test gate, or a cmdr command that parses and has its own test', async () => {
    expect(lines.length).toBeGreaterThan(5);
    for (const { job, line } of lines) {
      const argv = words(line);
      const joined = argv.join(' ');
      if (GATE_COMMANDS[joined]) {
        GATE_COMMANDS[joined]();
        continue;
      }
      const prefix = [...BOOTSTRAP, ...CMDR];
      expect(argv.slice(0, prefix.length), `${job}: not a command tested here: ${line}`).toEqual(prefix);
      const subcommand = await cmdrParses(argv.slice(prefix.length));
      const tested = CMDR_TESTED_BY[subcommand];
      expect(tested, `${job}: cmdr ${subcommand} has no test that runs it`).toBeDefined();
      if (tested) expect(readFileSync(join(root, tested.file), 'utf8')).toContain(tested.contains);
    }
  });

  it('catch a cmdr line that would fail: a missing required option, an unknown flag, an unknown command', async () => {
    await expect(cmdrParses(['deploy', 'all', '--env', 'staging'])).rejects.toThrow(/--tag/);
    await expect(
      cmdrParses(['promote', 'geo-reporting', '--from', 'staging', '--to', 'production', '--force']),
    ).rejects.toThrow(/unknown option/);
    await expect(cmdrParses(['images', 'publish', '--tag', 't'])).rejects.toThrow(/unknown command/);
    expect(() => words('curl https://example.com | sh')).toThrow(/no shell operators/);
  });

  it('the images job logs buildah in to the registry (ECR token) before it builds and pushes', async () => {
    const steps: string[] = [];
    for (const { line } of lines.filter((l) => l.job === 'images')) {
      const argv = words(line);
      const prefix = [...BOOTSTRAP, ...CMDR];
      if (argv.slice(0, prefix.length).join(' ') === prefix.join(' '))
        steps.push(await cmdrParses(argv.slice(prefix.length)));
    }
    expect(steps).toEqual(['images login', 'images build', 'images push']);
    // The registry it logs in to is the one it pushes to: no line names one (each: $CMDR_REGISTRY, else projects.yaml).
    for (const { line } of lines.filter((l) => l.job === 'images')) expect(line).not.toContain('--registry');
  });

  it("promote every project at once, from deploy-staging's record (not the staging cluster), only this pipeline's tag", async () => {
    const promotes = lines
      .filter((l) => l.job === 'promote-production')
      .map((l) => words(l.line))
      .filter((argv) => argv.includes('promote'));
    // One command: `promote all` checks every project before the first upgrade (one line per project did not).
    expect(promotes.map((argv) => argv.slice(argv.indexOf('promote')).join(' '))).toEqual([
      `promote all --from staging --to production --tag-source state --expect-tag ${SAMPLE_VARIABLES.RELEASE_TAG}`,
    ]);
    const deploys = lines.filter((l) => l.job === 'deploy-staging').map((l) => words(l.line).join(' '));
    expect(deploys.some((d) => d.includes('deploy all --env staging --tag 1a2b3c4d'))).toBe(true);
    // --expect-tag is an option cmdr knows, and the tag source one it accepts.
    await expect(cmdrParses(['promote', 'all', '--from', 'a', '--to', 'b', '--expect-tag', 't'])).resolves.toBe(
      'promote',
    );
  });
});
