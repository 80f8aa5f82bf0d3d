import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from './exit-codes.ts';
import { loadWorkspace, registryProblem } from './projects.ts';
import { cmdr, REPO_ROOT } from './test-support/run.ts';

// projects.yaml is checked when it is read: the registry must name images as is (`${registry}/${image}:${tag}`),
// and a key cmdr does not know (a typo) is reported with its path instead of being ignored or named vaguely.
const original = readFileSync(join(REPO_ROOT, 'projects.yaml'), 'utf8');
const REGISTRY_LINE = /^registry: .*$/m;

function workspaceWith(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cmdr-projects-'));
  writeFileSync(join(dir, 'projects.yaml'), text);
  return dir;
}

function loadError(text: string): { message: string; exitCode: number } {
  try {
    loadWorkspace(workspaceWith(text));
  } catch (error) {
    return error as { message: string; exitCode: number };
  }
  throw new Error('projects.yaml was accepted');
}

describe('projects.yaml registry', () => {
  it('the repository’s own is accepted', () => {
    expect(REGISTRY_LINE.test(original)).toBe(true);
    expect(loadWorkspace(REPO_ROOT).file.registry).toMatch(/^[a-z0-9.-]+\/single$/);
  });

  it.each([
    ['registry.example.com/single'],
    ['reg.example:5000/single'],
    ['127.0.0.1:5000/single/apps'],
    ['000000000000.dkr.ecr.eu-west-1.amazonaws.com/single'],
    ['ghcr.io/some-org/single_apps'],
  ])('accepts %s', (registry) => {
    expect(registryProblem(registry)).toBeUndefined();
    expect(loadWorkspace(workspaceWith(original.replace(REGISTRY_LINE, `registry: ${registry}`))).file.registry).toBe(
      registry,
    );
  });

  it.each([
    ['Reg.Example:5000/single/', 'no trailing slash, lowercase only'],
    ['https://reg.example/single', 'no scheme (https://)'],
    ['reg.example', 'a path after the host'],
    ['reg.example/a//b', 'not a registry path'],
    ['reg.example/single:latest', 'not a registry path'],
  ])('refuses %s, saying why (exit 6)', (registry, why) => {
    const error = loadError(original.replace(REGISTRY_LINE, `registry: "${registry}"`));
    expect(error.exitCode).toBe(ExitCode.invalid);
    expect(error.message).toContain(`registry: "${registry}": ${why}: write host[:port]/path`);
  });

  it('cmdr refuses before doing anything, naming the rule', async () => {
    const root = workspaceWith(original.replace(REGISTRY_LINE, 'registry: https://reg.example/single'));
    const run = await cmdr(['deploy', 'geo-reporting', '--env', 'staging', '--tag', 't', '--dry-run'], {
      CMDR_ROOT: root,
    });
    expect(run.code).toBe(ExitCode.invalid);
    expect(run.stderr).toContain('registry: "https://reg.example/single": no scheme (https://)');
  });
});

describe('projects.yaml unknown keys', () => {
  it('are each reported with their path', () => {
    const text = original
      .replace(REGISTRY_LINE, (line) => `${line}\nregistyr: typo.example/single`)
      .replace('    kubeContext: single-staging\n', '    kubeContext: single-staging\n    kubeContxt: x\n')
      .replace(
        '        hosts: [api.staging.single.example]\n',
        '        hosts: [api.staging.single.example]\n        host: [api.staging.single.example]\n',
      );
    const error = loadError(text);
    expect(error.exitCode).toBe(ExitCode.invalid);
    expect(error.message).toContain('registyr: unknown key');
    expect(error.message).toContain('environments.staging.kubeContxt: unknown key');
    expect(error.message).toContain('projects.0.environments.staging.host: unknown key');
  });
});
