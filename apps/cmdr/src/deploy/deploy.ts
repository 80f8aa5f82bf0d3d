import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { explainChartRule, explainValuesError } from '../charts/values-errors.ts';
import { CmdrError, ExitCode, usageError } from '../exit-codes.ts';
import { helm, runHelm } from '../helm/helm.ts';
import { stageChart } from '../helm/stage-chart.ts';
import { type PinnedImage, pushedImage } from '../images/record.ts';
import { parseManifests } from '../manifests/parse.ts';
import { validateManifests } from '../manifests/validate.ts';
import {
  type ChosenRegistry,
  getEnvironment,
  getProject,
  isPlaceholderRegistry,
  type Project,
  placeholderRegistryError,
  type Workspace,
} from '../projects.ts';
import { checkCluster, customResourceNeeds, secretNeeds } from './preflight.ts';
import { readState, recordDeploy } from './state.ts';

/** Docker's tag grammar: what a registry accepts is what we accept. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export interface DeployOptions {
  project: string;
  env: string;
  tag: string;
  dryRun: boolean;
  /** Recorded in the Helm release (labels, description) next to the tag. */
  gitSha?: string;
  stateFile: string;
  /** Render, validate and check the cluster (namespace, Secrets, keys), then stop before helm upgrade. */
  checkOnly?: boolean;
  /** The image to pin (promote passes the one running in the source environment); otherwise the one
   * `cmdr images push` recorded for the tag in `imagesFile`. */
  pinned?: PinnedImage;
  imagesFile?: string;
  /** The registry an image without a pinned digest is named under ($CMDR_REGISTRY; default projects.yaml's). */
  registry?: ChosenRegistry;
}

export interface DeployResult {
  project: string;
  env: string;
  release: string;
  namespace: string;
  kubeContext: string;
  tag: string;
  /** repository@digest when the digest is known (always for a real deploy), else repository:tag */
  image: string;
  digest?: string;
  dryRun: boolean;
  /** helm template output (dry run) */
  manifests?: string;
  /** Infrastructure (vendor chart) dry runs: the merged values (what review needs when the chart cannot be
   * rendered here), and why nothing was rendered (no chart archive on disk). */
  values?: Record<string, unknown>;
  note?: string;
  helmArgs: string[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Deep merge of plain objects; arrays and scalars from `over` replace (Helm's own rule for values). */
export function mergeValues(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    const current = out[key];
    out[key] = isObject(current) && isObject(value) ? mergeValues(current, value) : value;
  }
  return out;
}

/** The values cmdr passes on top of the chart's values.yaml for one project, environment and tag; with a
 * pinned image the pods pull repository@digest, as pushed (the tag stays the release version, DD_VERSION). */
export function releaseValues(
  ws: Workspace,
  project: Project,
  env: string,
  tag: string,
  pinned?: PinnedImage,
  registry: string = ws.file.registry,
): Record<string, unknown> {
  if (!TAG.test(tag)) throw usageError(`invalid image tag "${tag}"`);
  const target = getEnvironment(ws, project, env);
  const image = pinned
    ? { repository: pinned.repository, tag, digest: pinned.digest }
    : { repository: `${registry}/${project.image}`, tag };
  const fixed: Record<string, unknown> = { environment: env, image };
  if (target.hosts !== undefined) fixed.ingress = { hosts: target.hosts };
  return mergeValues(target.values, fixed);
}

function commonArgs(ws: Workspace, project: Project, env: string, valuesFile: string, chartDir: string) {
  const target = getEnvironment(ws, project, env);
  return {
    target,
    args: [project.name, chartDir, '--namespace', target.namespace, '--values', valuesFile],
  };
}

/**
 * `helm template` (dry run: rendered, validated and returned) or `helm upgrade --install` with
 * rollback on failure. Either way the manifests are validated first: nothing invalid reaches a cluster.
 */
export async function deploy(ws: Workspace, options: DeployOptions): Promise<DeployResult> {
  const infrastructure = ws.file.infrastructure.find((i) => i.name === options.project);
  if (infrastructure !== undefined) {
    // Imported here: infrastructure.ts imports mergeValues from this module.
    const { deployInfrastructure } = await import('./infrastructure.ts');
    return deployInfrastructure(ws, infrastructure, options);
  }
  const project = getProject(ws, options.project);
  const pinned =
    options.pinned ?? (options.imagesFile ? pushedImage(options.imagesFile, project.name, options.tag) : undefined);
  // A record (promote's source, an images record) naming another app's image would run that app under this
  // release's name: the repository's last component must be the project's image, whatever registry it is in.
  if (pinned !== undefined && !pinned.repository.endsWith(`/${project.image}`)) {
    throw new CmdrError(
      `the image recorded for ${project.name} ${options.tag} is ${pinned.repository}@${pinned.digest}, ` +
        `not an image of ${project.image}: nothing deployed`,
      ExitCode.conflict,
    );
  }
  const registry = options.registry ?? { registry: ws.file.registry, source: "projects.yaml's registry" };
  // Nothing reaches a cluster from the placeholder registry projects.yaml ships: refused before any helm or API call.
  if (!options.dryRun) {
    if (pinned !== undefined && isPlaceholderRegistry(pinned.repository)) {
      throw placeholderRegistryError(
        pinned.repository,
        `the image recorded for ${project.name} ${options.tag}`,
        'then push the images there again (cmdr images push); nothing deployed',
      );
    }
    if (pinned === undefined && isPlaceholderRegistry(registry.registry)) {
      throw placeholderRegistryError(registry.registry, registry.source, 'nothing deployed');
    }
  }
  const digest = pinned?.digest;
  const values = releaseValues(ws, project, options.env, options.tag, pinned, registry.registry);
  const staged = stageChart(join(ws.root, project.chart));
  const scratch = mkdtempSync(join(tmpdir(), 'cmdr-values-'));
  try {
    const valuesFile = join(scratch, 'values.yaml');
    writeFileSync(valuesFile, stringify(values));
    const { target, args } = commonArgs(ws, project, options.env, valuesFile, staged.dir);
    const rendered = await runHelm(['template', ...args]);
    if (rendered.code !== 0) {
      // A values.schema.json failure in words (which setting, which rule), a rule the chart's templates
      // enforce (minReplicas above maxReplicas) as that rule with helm's words as detail; anything else as helm said it.
      const helmSaid = rendered.stderr.trim() || rendered.stdout.trim();
      const explained = explainValuesError(rendered.stderr, join(ws.root, project.chart), values);
      const chartRule = explained ? undefined : explainChartRule(rendered.stderr);
      throw new CmdrError(
        explained
          ? `values of ${project.name} for ${options.env} break ${project.chart}/values.schema.json:\n${explained.map((l) => `  - ${l}`).join('\n')}`
          : chartRule
            ? `values of ${project.name} for ${options.env} break a rule of ${project.chart}:\n  - ${chartRule.rule}\n` +
              `(helm template: execution error at ${chartRule.at})`
            : `helm template failed: ${helmSaid}`,
        ExitCode.invalid,
        explained ?? (chartRule ? { rule: chartRule.rule, helm: helmSaid } : undefined),
      );
    }
    const manifests = parseManifests(rendered.stdout);
    const problems = await validateManifests(manifests);
    if (problems.length > 0) {
      throw new CmdrError(
        `rendered manifests are invalid: ${problems.map((p) => `${p.kind}/${p.name}: ${p.message}`).join('; ')}`,
        ExitCode.invalid,
        problems,
      );
    }
    const image = pinned
      ? `${pinned.repository}@${pinned.digest}`
      : `${registry.registry}/${project.image}:${options.tag}`;
    const base = {
      project: project.name,
      env: options.env,
      release: project.name,
      namespace: target.namespace,
      kubeContext: target.kubeContext,
      tag: options.tag,
      image,
      ...(digest ? { digest } : {}),
    };
    if (options.dryRun) {
      return { ...base, dryRun: true, manifests: rendered.stdout, helmArgs: ['template', ...args] };
    }
    // Namespace, Secrets and their keys first: a missing one fails here in seconds, not in helm's timeout.
    await checkCluster(target, secretNeeds(manifests), { customResources: customResourceNeeds(manifests) });
    // A cluster only ever runs a pinned digest: a tag can be pushed again, a digest names one image.
    if (digest === undefined) {
      throw new CmdrError(
        `no image digest recorded for ${project.name} ${options.tag}` +
          `${options.imagesFile ? ` in ${options.imagesFile}` : ''}: run \`cmdr images push ${project.name} --tag ${options.tag}\` ` +
          'first (in CD, hand its images record to this job as CMDR_IMAGES_FILE)',
        ExitCode.conflict,
      );
    }
    if (options.checkOnly) return { ...base, dryRun: false, helmArgs: [] };
    const labels = [
      `single.dev/tag=${options.tag}`,
      ...(options.gitSha ? [`single.dev/git-sha=${options.gitSha}`] : []),
    ];
    const upgradeArgs = [
      'upgrade',
      '--install',
      ...args,
      '--kube-context',
      target.kubeContext,
      '--rollback-on-failure',
      '--wait=watcher',
      '--timeout',
      '10m',
      '--history-max',
      '20',
      '--labels',
      labels.join(','),
      '--description',
      `cmdr deploy ${options.tag}${options.gitSha ? ` (${options.gitSha})` : ''}`,
    ];
    await helm(upgradeArgs, { exitCode: ExitCode.failure });
    recordDeploy(options.stateFile, options.env, project.name, {
      tag: options.tag,
      ...(pinned ? { repository: pinned.repository, digest: pinned.digest } : {}),
      deployedAt: new Date().toISOString(),
      chart: project.chart,
    });
    return { ...base, dryRun: false, helmArgs: upgradeArgs };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    staged.dispose();
  }
}

export type TagSource = 'cluster' | 'state';

/** The image tag and digest running in `env`: from the Helm release in the cluster, or from cmdr's state file. */
export async function currentRelease(
  ws: Workspace,
  projectName: string,
  env: string,
  source: TagSource,
  stateFile: string,
): Promise<{ tag: string; pinned?: PinnedImage }> {
  const project = getProject(ws, projectName);
  const target = getEnvironment(ws, project, env);
  if (source === 'state') {
    const record = readState(stateFile)[env]?.[project.name];
    if (record === undefined) {
      throw new CmdrError(`nothing recorded for ${project.name} in ${env} (${stateFile})`, ExitCode.conflict);
    }
    const pinned =
      record.digest && record.repository ? { repository: record.repository, digest: record.digest } : undefined;
    return { tag: record.tag, ...(pinned ? { pinned } : {}) };
  }
  const result = await helm(
    [
      'get',
      'values',
      project.name,
      '--namespace',
      target.namespace,
      '--kube-context',
      target.kubeContext,
      '--output',
      'json',
    ],
    { exitCode: ExitCode.unavailable },
  );
  const image = (JSON.parse(result.stdout) as { image?: { repository?: unknown; tag?: unknown; digest?: unknown } })
    .image;
  if (typeof image?.tag !== 'string') {
    throw new CmdrError(`${project.name} in ${env} has no image.tag`, ExitCode.conflict);
  }
  const pinned =
    typeof image.digest === 'string' && typeof image.repository === 'string'
      ? { repository: image.repository, digest: image.digest }
      : undefined;
  return { tag: image.tag, ...(pinned ? { pinned } : {}) };
}

export interface PromoteOptions {
  project: string;
  from: string;
  to: string;
  dryRun: boolean;
  tagSource: TagSource;
  stateFile: string;
  gitSha?: string;
  /** Where a release deployed before digests were pinned finds the digest of its tag. */
  imagesFile?: string;
  /** Refuse unless `from` runs this tag (CD: the pipeline's own $RELEASE_TAG, never an older or newer one). */
  expectTag?: string;
  registry?: ChosenRegistry;
}

/** The tag and digest `project` runs in `from`, refused when it is not the expected tag. */
async function promotionSource(ws: Workspace, project: string, options: Omit<PromoteOptions, 'project'>) {
  const source = await currentRelease(ws, project, options.from, options.tagSource, options.stateFile);
  if (options.expectTag !== undefined && source.tag !== options.expectTag) {
    throw new CmdrError(
      `${project} runs ${source.tag} in ${options.from}, not ${options.expectTag}: nothing promoted`,
      ExitCode.conflict,
    );
  }
  return source;
}

/**
 * Deploys to `to` exactly the images that run in `from` (the same digests, not whatever the tags name now),
 * for each project in the given order. With more than one, every source release, expected tag, namespace,
 * Secret and digest is checked before the first upgrade: a promotion never stops half-way on something known.
 */
export async function promoteEach(
  ws: Workspace,
  projects: readonly string[],
  options: Omit<PromoteOptions, 'project'>,
  onDeploy: (project: string, tag: string) => void = () => {},
): Promise<(DeployResult & { from: string })[]> {
  if (options.from === options.to) throw usageError('--from and --to must differ');
  const sources: { project: string; tag: string; pinned?: PinnedImage }[] = [];
  for (const project of projects) sources.push({ project, ...(await promotionSource(ws, project, options)) });
  const target = (source: (typeof sources)[number], checkOnly: boolean): DeployOptions => ({
    project: source.project,
    env: options.to,
    tag: source.tag,
    dryRun: options.dryRun,
    stateFile: options.stateFile,
    ...(checkOnly ? { checkOnly } : {}),
    ...(source.pinned ? { pinned: source.pinned } : {}),
    ...(options.imagesFile ? { imagesFile: options.imagesFile } : {}),
    ...(options.gitSha ? { gitSha: options.gitSha } : {}),
    ...(options.registry ? { registry: options.registry } : {}),
  });
  if (!options.dryRun && sources.length > 1) {
    // Imported here: check-targets.ts imports deploy from this module.
    const { checkEach } = await import('./check-targets.ts');
    await checkEach(
      ws,
      sources.map((source) => target(source, true)),
    );
  }
  const results: (DeployResult & { from: string })[] = [];
  for (const source of sources) {
    onDeploy(source.project, source.tag);
    results.push({ ...(await deploy(ws, target(source, false))), from: options.from });
  }
  return results;
}

/** One project: `promoteEach` of it alone. */
export async function promote(ws: Workspace, options: PromoteOptions): Promise<DeployResult & { from: string }> {
  const { project, ...rest } = options;
  const [result] = await promoteEach(ws, [project], rest);
  return result as DeployResult & { from: string };
}
