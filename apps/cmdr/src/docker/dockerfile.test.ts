import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../test-support/run.ts';

// The image rules of the platform, checked on docker/Dockerfile's syntax tree. The images themselves are
// built, migrated and started by docker/build-images.sh (buildah); these checks run without it.
const source = readFileSync(join(REPO_ROOT, 'docker/Dockerfile'), 'utf8');
const dockerfile = DockerfileParser.parse(source);
const instructions = dockerfile.getInstructions();
const stages = dockerfile.getFROMs();

/** Instructions of one build stage (from its FROM to the next). */
function stage(name: string): Instruction[] {
  const index = stages.findIndex((f) => f.getBuildStage() === name);
  const start = instructions.indexOf(stages[index] as Instruction);
  const next = stages[index + 1];
  return instructions.slice(start, next ? instructions.indexOf(next) : undefined);
}

const runs = (name: string) =>
  stage(name)
    .filter((i) => i.getKeyword() === 'RUN')
    .map((i) => i.getArgumentsContent() ?? '');

describe('docker/Dockerfile', () => {
  it('builds one app chosen by ARG APP, from a Node 24 slim base', () => {
    expect(source).toMatch(/^ARG NODE_IMAGE=docker\.io\/library\/node:24-[a-z]+-slim$/m);
    expect(stages.map((f) => f.getBuildStage())).toEqual(['tools', 'pruner', 'builder', 'runtime-root', 'runtime']);
    for (const name of ['pruner', 'builder', 'runtime']) {
      expect(
        stage(name).some((i) => i.getKeyword() === 'ARG' && i.getArgumentsContent() === 'APP'),
        name,
      ).toBe(true);
    }
  });

  it('prunes the workspace with turbo, installs frozen, builds, then keeps production dependencies only', () => {
    expect(runs('pruner').join('\n')).toMatch(/turbo prune "@single\/\$\{APP\}" --docker/);
    const builder = runs('builder');
    expect(builder[0]).toMatch(/pnpm install --frozen-lockfile/);
    expect(builder[1]).toMatch(/turbo run build --filter="@single\/\$\{APP\}\.\.\."/);
    expect(builder[2]).toMatch(/pnpm install --frozen-lockfile --prod --offline/);
    // then only what the app runs (no prisma CLI, TypeScript or PGlite peers), on a root with no shell
    expect(builder[3]).toMatch(/node \/usr\/local\/lib\/prune-runtime\.mjs "\$\{APP\}"/);
    expect(stage('runtime')[0]?.getKeyword()).toBe('FROM');
    expect(stage('runtime')[0]?.getArgumentsContent()).toBe('scratch AS runtime');
    // the pinned toolchain versions are the workspace's own
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
    expect(runs('tools').join('\n')).toContain(`pnpm@${pkg.packageManager.split('@')[1]}`);
    expect(runs('tools').join('\n')).toContain(`turbo@${pkg.devDependencies.turbo}`);
  });

  it('runs as a non-root numeric user with an exec-form CMD that loads the tracer first', () => {
    const runtime = stage('runtime');
    const user = runtime
      .filter((i) => i.getKeyword() === 'USER')
      .at(-1)
      ?.getArgumentsContent();
    expect(user).toBe('10001:10001'); // numeric: kubelet can verify runAsNonRoot; matches the charts
    expect(runtime.some((i) => i.getKeyword() === 'RUN')).toBe(false); // nothing executes in the final stage
    const [cmd] = dockerfile.getCMDs();
    expect(cmd?.getJSONStrings().map((s) => s.getJSONValue())).toEqual([
      'node',
      '--import',
      '@single/tracing/register',
      'dist/main.js',
    ]);
  });

  it('keeps local state and secrets out of the build context', () => {
    const ignore = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['**/node_modules', '**/dist', '.git', '.env', '.env.*', '.toolchain', '.cmdr']) {
      expect(ignore).toContain(entry);
    }
    expect(ignore).toContain('!.env.example');
  });
});
