import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CmdrError, ExitCode, usageError } from '../exit-codes.ts';
import { getProject, type Project, registryProblem, type Workspace } from '../projects.ts';
import { buildah } from './buildah.ts';
import { DIGEST, type PushedImage, recordPush } from './record.ts';

/** Docker's tag grammar (as cmdr deploy checks it). */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export interface ImageTarget {
  project: Project;
  /** registry/repository, no tag */
  repository: string;
  /** repository:tag, the local name the build gives and the name pushed */
  reference: string;
}

/** The images of `names` (projects of projects.yaml; none = all), named under `registry` (default: projects.yaml's). */
export function imageTargets(ws: Workspace, names: readonly string[], tag: string, registry?: string): ImageTarget[] {
  if (!TAG.test(tag)) throw usageError(`invalid image tag "${tag}"`);
  // --registry / $CMDR_REGISTRY is held to the rules projects.yaml's registry is: a bad one would otherwise
  // start a build of every image (minutes) before buildah refused the name, or name another registry.
  if (registry !== undefined) {
    const problem = registryProblem(registry);
    if (problem !== undefined) throw usageError(`invalid registry "${registry}": ${problem}`);
  }
  const base = registry ?? ws.file.registry;
  const projects = names.length === 0 ? ws.file.projects : names.map((name) => getProject(ws, name));
  return projects.map((project) => {
    const repository = `${base}/${project.image}`;
    return { project, repository, reference: `${repository}:${tag}` };
  });
}

/**
 * Builds each image from docker/Dockerfile as CI does (buildah bud, chroot isolation, no layer cache:
 * with the vfs driver every cached layer is a full copy, about 12 GiB per app), tagged
 * with its registry name. The host's CA bundle goes in as the `ca-certificates` build secret when present
 * (a TLS-inspecting proxy in front of the npm registry); a secret never ends up in a layer.
 */
export async function buildImages(
  ws: Workspace,
  targets: readonly ImageTarget[],
  onProgress: (line: string) => void = () => undefined,
): Promise<{ project: string; image: string; seconds: number }[]> {
  const caBundle = '/etc/ssl/certs/ca-certificates.crt';
  const secret = existsSync(caBundle) ? ['--secret', `id=ca-certificates,src=${caBundle}`] : [];
  const built = [];
  for (const target of targets) {
    onProgress(`building ${target.reference}`);
    const started = Date.now();
    await step(targets, target, 'build', () =>
      buildah(
        [
          'bud',
          '--quiet',
          '--isolation',
          'chroot',
          '--layers=false',
          // A failed build's containers go too (buildah keeps them by default): each is a full vfs copy.
          '--force-rm',
          // Pull the base image only when it is not in local storage (docker/build-images.sh can build it).
          '--pull=false',
          ...secret,
          '-f',
          'docker/Dockerfile',
          '--build-arg',
          `APP=${target.project.image}`,
          '-t',
          target.reference,
          '.',
        ],
        { cwd: ws.root },
      ),
    );
    built.push({
      project: target.project.name,
      image: target.reference,
      seconds: Math.round((Date.now() - started) / 1000),
    });
  }
  return built;
}

/**
 * One buildah step for one app: a failure (buildah's non-zero exit, whatever its code) stops the command there
 * with buildah's exit class, naming the app and image it failed on and what the command had done before it.
 */
async function step<T>(
  targets: readonly ImageTarget[],
  target: ImageTarget,
  verb: 'build' | 'push',
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof CmdrError)) throw error;
    const index = targets.indexOf(target);
    const names = (list: readonly ImageTarget[]) => list.map((t) => t.project.name).join(', ');
    const done =
      index > 0 ? `; ${verb === 'build' ? 'built' : 'pushed'} before it: ${names(targets.slice(0, index))}` : '';
    const left = index < targets.length - 1 ? `; not attempted: ${names(targets.slice(index + 1))}` : '';
    throw new CmdrError(
      `${verb} of ${target.project.name} (${target.reference}) failed${done}${left}\n${error.message}`,
      error.exitCode,
    );
  }
}

export interface PushOptions {
  /** Verify the registry's TLS certificate (false only for a local plain-HTTP registry). */
  tlsVerify: boolean;
  /** Where the digests are recorded (see record.ts). */
  recordFile: string;
}

/**
 * Pushes each built image to its registry and records the digest the registry now serves it under:
 * buildah writes the digest of the manifest it pushed, which is the digest a pull by digest asks for.
 */
export async function pushImages(
  targets: readonly ImageTarget[],
  tag: string,
  options: PushOptions,
  onProgress: (line: string) => void = () => undefined,
): Promise<(PushedImage & { project: string; image: string })[]> {
  const scratch = mkdtempSync(join(tmpdir(), 'cmdr-push-'));
  try {
    const pushed = [];
    for (const target of targets) {
      onProgress(`pushing ${target.reference}`);
      const digestFile = join(scratch, `${target.project.name}.digest`);
      await step(targets, target, 'push', () =>
        buildah(
          [
            'push',
            '--quiet',
            `--tls-verify=${options.tlsVerify}`,
            '--digestfile',
            digestFile,
            target.reference,
            `docker://${target.reference}`,
          ],
          { exitCode: ExitCode.unavailable },
        ),
      );
      const digest = readFileSync(digestFile, 'utf8').trim();
      if (!DIGEST.test(digest)) {
        throw new CmdrError(`buildah push of ${target.reference} wrote no digest ("${digest}")`, ExitCode.failure);
      }
      const image = { repository: target.repository, tag, digest, pushedAt: new Date().toISOString() };
      recordPush(options.recordFile, target.project.name, image);
      pushed.push({ project: target.project.name, image: `${target.repository}@${digest}`, ...image });
    }
    return pushed;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
