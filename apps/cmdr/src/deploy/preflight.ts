import { existsSync, readFileSync } from 'node:fs';
import { delimiter } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CmdrError, ExitCode } from '../exit-codes.ts';
import type { Manifest } from '../manifests/parse.ts';

// Before `helm upgrade`: does the namespace exist, and does every Secret the rendered pods reference exist
// with every key they read? A missing one otherwise leaves the pods (the migrations Job first) in
// CreateContainerConfigError until helm's 10-minute timeout. And is every custom kind the release renders
// (KEDA's ScaledObject, Traefik's IngressRoute) served, its CRD installed? A missing one fails the whole
// release at `helm upgrade`. Read with @kubernetes/client-node from the kubeconfig and context helm itself
// uses ($KUBECONFIG or ~/.kube/config, the environment's kubeContext).

/** Secret name -> the keys the pods read from it, and which objects read it. */
export type SecretNeeds = Map<string, { keys: Set<string>; usedBy: Set<string> }>;

interface PodSpecLike {
  imagePullSecrets?: { name?: string }[];
  containers?: ContainerLike[];
  initContainers?: ContainerLike[];
  volumes?: { secret?: { secretName?: string; optional?: boolean; items?: { key: string }[] } }[];
}
interface ContainerLike {
  env?: { valueFrom?: { secretKeyRef?: { name?: string; key?: string; optional?: boolean } } }[];
  envFrom?: { secretRef?: { name?: string; optional?: boolean } }[];
}

function podSpec(manifest: Manifest): PodSpecLike | undefined {
  const spec = (manifest as { spec?: Record<string, unknown> }).spec;
  if (manifest.kind === 'CronJob') {
    return (spec?.jobTemplate as { spec?: { template?: { spec?: PodSpecLike } } })?.spec?.template?.spec;
  }
  if (manifest.kind === 'Pod') return spec as PodSpecLike;
  return (spec?.template as { spec?: PodSpecLike } | undefined)?.spec;
}

/** Every non-optional Secret reference of the rendered workloads (env, envFrom, volumes), but those the release's ExternalSecrets make. */
export function secretNeeds(manifests: readonly Manifest[]): SecretNeeds {
  const needs: SecretNeeds = new Map();
  const need = (name: string | undefined, key: string | undefined, usedBy: string) => {
    if (!name) return;
    const entry = needs.get(name) ?? { keys: new Set<string>(), usedBy: new Set<string>() };
    if (key !== undefined) entry.keys.add(key);
    entry.usedBy.add(usedBy);
    needs.set(name, entry);
  };
  for (const manifest of manifests) {
    const spec = podSpec(manifest);
    if (spec === undefined) continue;
    const owner = `${manifest.kind}/${manifest.metadata?.name ?? '?'}`;
    // A missing pull secret leaves the pods in ImagePullBackOff until helm's timeout, like a missing env Secret.
    for (const pull of spec.imagePullSecrets ?? []) need(pull.name, undefined, owner);
    for (const container of [...(spec.containers ?? []), ...(spec.initContainers ?? [])]) {
      for (const env of container.env ?? []) {
        const ref = env.valueFrom?.secretKeyRef;
        if (ref && ref.optional !== true) need(ref.name, ref.key, owner);
      }
      for (const from of container.envFrom ?? []) {
        if (from.secretRef && from.secretRef.optional !== true) need(from.secretRef.name, undefined, owner);
      }
    }
    for (const volume of spec.volumes ?? []) {
      const secret = volume.secret;
      if (!secret || secret.optional === true) continue;
      if (secret.items?.length) for (const item of secret.items) need(secret.secretName, item.key, owner);
      else need(secret.secretName, undefined, owner);
    }
  }
  // The Datadog agent reads a scrape credential named in the pod's autodiscovery annotation through its secrets
  // backend (ENC[k8s_secret@<namespace>/<name>/<key>], geo-reporting's /metrics): without that Secret nothing
  // fails, the agent's scrape gets 401 and the app's monitors go to no data instead of alerting.
  for (const manifest of manifests) {
    const spec = (manifest as { spec?: { template?: { metadata?: { annotations?: Record<string, unknown> } } } }).spec;
    const owner = `${manifest.kind}/${manifest.metadata?.name ?? '?'}`;
    for (const [name, value] of Object.entries(spec?.template?.metadata?.annotations ?? {})) {
      if (!name.startsWith('ad.datadoghq.com/') || typeof value !== 'string') continue;
      for (const match of value.matchAll(/ENC\[k8s_secret@[^/\]]+\/([^/\]]+)\/([^/\]]+)\]/g)) {
        need(match[1], match[2], `${owner} (Datadog agent scrape)`);
      }
    }
  }
  // KEDA reads its scaler's credentials from Secrets too (TriggerAuthentication): a missing one stops the scaling.
  for (const manifest of manifests) {
    if (manifest.kind !== 'TriggerAuthentication') continue;
    const owner = `TriggerAuthentication/${manifest.metadata?.name ?? '?'}`;
    for (const ref of (manifest.spec?.secretTargetRef ?? []) as { name?: string; key?: string }[]) {
      need(ref.name, ref.key, owner);
    }
  }
  // A Secret the release's own ExternalSecret makes (a hook that runs before the migrations Job) cannot
  // exist before the first deploy: the operator makes it, with the keys the template lists.
  for (const manifest of manifests) {
    if (manifest.kind !== 'ExternalSecret') continue;
    needs.delete(String(manifest.spec?.target?.name ?? manifest.metadata?.name));
  }
  return needs;
}

/** Kinds a CRD defines, by `<group>/<version>`: each kind and the objects of the release that are of it. */
export type CustomResourceNeeds = Map<string, Map<string, Set<string>>>;

/**
 * API groups that only a CRD serves: a dotted group outside Kubernetes' own `*.k8s.io` (keda.sh, traefik.io,
 * external-secrets.io). Kubernetes' groups are dotless (apps, batch, policy, autoscaling) or end in .k8s.io.
 */
function customGroup(apiVersion: string): string | undefined {
  const [group, version] = apiVersion.split('/');
  return version !== undefined && group?.includes('.') && !group.endsWith('.k8s.io') ? group : undefined;
}

/** The release's objects of a CRD's kind (a ScaledObject, an IngressRoute...): the API server refuses them until it is installed. */
export function customResourceNeeds(manifests: readonly Manifest[]): CustomResourceNeeds {
  const needs: CustomResourceNeeds = new Map();
  for (const manifest of manifests) {
    if (customGroup(manifest.apiVersion) === undefined) continue;
    const kinds = needs.get(manifest.apiVersion) ?? new Map<string, Set<string>>();
    const users = kinds.get(manifest.kind) ?? new Set<string>();
    users.add(`${manifest.kind}/${manifest.metadata?.name ?? '?'}`);
    kinds.set(manifest.kind, users);
    needs.set(manifest.apiVersion, kinds);
  }
  return needs;
}

/** What installs a group's CRDs (an infrastructure entry of projects.yaml, or an operator the cluster brings). */
const INSTALLED_BY: Record<string, string> = {
  'keda.sh': 'install KEDA first: cmdr deploy keda',
  'traefik.io': 'install Traefik first: cmdr deploy traefik',
  'external-secrets.io': 'install the External Secrets operator first',
};

export interface ClusterTarget {
  kubeContext: string;
  namespace: string;
}

function status(error: unknown): number | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

/** fetch's "fetch failed" says nothing more: the system error under it (ECONNREFUSED, ENOTFOUND...), as " (CODE)". */
function networkCode(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; cause?: { code?: unknown } } }).cause;
  const code = [cause?.code, cause?.cause?.code, (error as { code?: unknown }).code].find(
    (c): c is string => typeof c === 'string' && c !== '',
  );
  return code !== undefined && !(error as Error).message.includes(code) ? ` (${code})` : '';
}

/** Whether a 404 is Kubernetes' own answer for an object that does not exist (a Status, reason NotFound), not a
 * proxy's or load balancer's 404 for a path it does not serve (a kubeconfig server URL that is not the API). */
function kubernetesNotFound(error: unknown): boolean {
  let body = (error as { body?: unknown }).body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return false;
    }
  }
  const statusBody = body as { kind?: unknown; reason?: unknown } | null | undefined;
  return statusBody?.kind === 'Status' && statusBody.reason === 'NotFound';
}

function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(new CmdrError(`Kubernetes API did not answer within ${ms / 1000} s (${what})`, ExitCode.unavailable)),
      ms,
    );
    timer.unref();
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * Fails (exit 4) naming the missing namespace, Secrets and keys, or (exit 5) when the cluster cannot be
 * asked; resolves when everything the pods need is there. Each request has a deadline, so a deploy
 * without its Secrets fails in seconds.
 */
export async function checkCluster(
  target: ClusterTarget,
  needs: SecretNeeds,
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv; customResources?: CustomResourceNeeds } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  const { CoreV1Api, CustomObjectsApi } = await import('@kubernetes/client-node');
  const kubeconfig = (options.env ?? process.env).KUBECONFIG;
  const kc = await loadKubeconfig(kubeconfig);
  // An empty $KUBECONFIG is unset to kubectl, helm and loadKubeconfig alike: ~/.kube/config.
  const file = kubeconfig || '~/.kube/config';
  const context = kc.getContextObject(target.kubeContext);
  if (context === null) {
    throw new CmdrError(
      `kube context "${target.kubeContext}" does not exist in the kubeconfig (${file})`,
      ExitCode.unavailable,
    );
  }
  kc.setCurrentContext(target.kubeContext);
  // A context naming a cluster the kubeconfig does not define: client-node would throw "No active cluster!".
  const cluster = kc.getCurrentCluster();
  if (cluster === null) {
    throw new CmdrError(
      `kube context "${target.kubeContext}" names cluster "${context.cluster}", which is not defined in the kubeconfig (${file})`,
      ExitCode.unavailable,
    );
  }
  const api = kc.makeApiClient(CoreV1Api);
  const where = `${target.kubeContext}/${target.namespace}`;
  const server = cluster.server;
  // objectRead: a namespace or Secret, which only a Status NotFound says is missing; discovery's 404 for a group
  // nobody serves is plain text.
  const ask = async <T>(
    what: string,
    read: () => Promise<T>,
    objectRead = true,
  ): Promise<T | 'missing' | 'forbidden'> => {
    try {
      return await withDeadline(read(), timeoutMs, what);
    } catch (error) {
      if (error instanceof CmdrError) throw error;
      if (status(error) === 404 && objectRead && !kubernetesNotFound(error)) {
        throw new CmdrError(
          `Kubernetes API unavailable (${what}): ${server} answered 404 without a Kubernetes status; ` +
            `is the server of kube context "${target.kubeContext}" the Kubernetes API (a proxy's path)?`,
          ExitCode.unavailable,
        );
      }
      if (status(error) === 404) return 'missing';
      if (status(error) === 403 || status(error) === 401) return 'forbidden';
      throw new CmdrError(
        `Kubernetes API unavailable (${what}) at ${server}: ${(error as Error).message.split('\n')[0]}${networkCode(error)}`,
        ExitCode.unavailable,
      );
    }
  };

  const namespace = await ask(`namespace ${target.namespace}`, () => api.readNamespace({ name: target.namespace }));
  if (namespace === 'missing') {
    throw new CmdrError(
      `namespace "${target.namespace}" does not exist in ${target.kubeContext}: create it (with its Secrets) before the first deploy`,
      ExitCode.conflict,
    );
  }
  const problems: string[] = [];
  // A least-privilege deployer (a Role in its namespace, no cluster-wide get on namespaces) may not read the
  // namespace: unknown, not a refusal. The Secret reads decide; a missing one is reported with that doubt.
  const namespaceUnknown =
    namespace === 'forbidden'
      ? ` (namespace "${target.namespace}" could not be read, forbidden: it may not exist either)`
      : '';
  const secrets = await Promise.all(
    [...needs].map(async ([name, need]) => ({
      name,
      need,
      secret: await ask(`Secret ${name}`, () => api.readNamespacedSecret({ name, namespace: target.namespace })),
    })),
  );
  for (const { name, need, secret } of secrets) {
    const usedBy = [...need.usedBy].join(', ');
    if (secret === 'missing') {
      const keys = need.keys.size > 0 ? ` with keys ${[...need.keys].join(', ')}` : '';
      problems.push(`Secret "${name}" is missing${keys} (used by ${usedBy})${namespaceUnknown}`);
    } else if (secret === 'forbidden') {
      problems.push(`may not read Secret "${name}" (forbidden: the deploying identity needs get on secrets)`);
    } else {
      const present = new Set(Object.keys(secret.data ?? {}));
      const absent = [...need.keys].filter((key) => !present.has(key));
      if (absent.length > 0) {
        problems.push(
          `Secret "${name}" lacks key${absent.length > 1 ? 's' : ''} ${absent.join(', ')} (used by ${usedBy})`,
        );
      }
    }
  }
  // A kind no CRD defines yet (KEDA's ScaledObject before KEDA is installed) fails the whole release at helm
  // upgrade; discovery (GET /apis/<group>/<version>) says so first, and any authenticated identity may read it.
  const custom = kc.makeApiClient(CustomObjectsApi);
  const served = await Promise.all(
    [...(options.customResources ?? [])].map(async ([apiVersion, kinds]) => {
      const [group = '', version = ''] = apiVersion.split('/');
      const list = await ask(`API ${apiVersion}`, () => custom.getAPIResources({ group, version }), false);
      return { apiVersion, group, kinds, list };
    }),
  );
  for (const { apiVersion, group, kinds, list } of served) {
    if (list === 'forbidden') {
      problems.push(`may not read API ${apiVersion} (forbidden: helm needs discovery too)`);
      continue;
    }
    for (const [kind, users] of kinds) {
      const resource = list === 'missing' ? undefined : list.resources.find((r) => r.kind === kind);
      if (resource) continue;
      const crd = `${kind.toLowerCase()}s.${group}`;
      const hint = INSTALLED_BY[group] ? `: ${INSTALLED_BY[group]}` : '';
      problems.push(
        `CRD "${crd}" is not installed (no ${apiVersion} ${kind} in the cluster; used by ${[...users].join(', ')})${hint}`,
      );
    }
  }
  if (problems.length > 0) {
    throw new CmdrError(`not deployed: ${where} is not ready: ${problems.join('; ')}`, ExitCode.conflict, problems);
  }
}

type KubeConfigT = InstanceType<typeof import('@kubernetes/client-node').KubeConfig>;

/**
 * The kubeconfig as kubectl and helm read it: $KUBECONFIG is a list of files (':'-separated; empty entries and
 * files that do not exist skipped) merged with the first file to define a cluster, user or context (and the
 * current context) winning; without $KUBECONFIG, ~/.kube/config. client-node's own merge throws on a name
 * defined twice, which kubectl accepts.
 */
export async function loadKubeconfig(kubeconfig: string | undefined): Promise<KubeConfigT> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const kc = new KubeConfig();
  try {
    if (!kubeconfig) {
      kc.loadFromDefault();
      return kc;
    }
    const files = kubeconfig.split(delimiter).filter((file) => file !== '' && existsSync(file));
    if (files.length === 0) throw new Error(`none of the files in KUBECONFIG (${kubeconfig}) exists`);
    const merged = { clusters: [], users: [], contexts: [], currentContext: '' } as {
      clusters: KubeConfigT['clusters'];
      users: KubeConfigT['users'];
      contexts: KubeConfigT['contexts'];
      currentContext: string;
    };
    const add = <T extends { name: string }>(into: T[], items: readonly T[] | undefined) => {
      for (const item of items ?? []) if (!into.some((known) => known.name === item.name)) into.push(item);
    };
    for (const file of files) {
      // A file that is not YAML, or not a mapping (a stray list or string), is named as such, not as a TypeError
      // from inside the client or as a context it lacks.
      let document: unknown;
      try {
        document = parseYaml(readFileSync(file, 'utf8'));
      } catch (error) {
        throw new Error(`${file} is not YAML (${(error as Error).message.split('\n')[0]})`);
      }
      // An empty file (or a lone 'null') is an empty config to kubectl too: skipped.
      if (document === null || document === undefined) continue;
      if (typeof document !== 'object' || Array.isArray(document)) {
        throw new Error(`${file} is not a kubeconfig (not a YAML mapping with clusters, users and contexts)`);
      }
      const one = new KubeConfig();
      one.loadFromFile(file);
      add(merged.clusters, one.clusters);
      add(merged.users, one.users);
      add(merged.contexts, one.contexts);
      merged.currentContext ||= one.currentContext ?? '';
    }
    kc.loadFromOptions(merged);
    return kc;
  } catch (error) {
    throw new CmdrError(`cannot read the kubeconfig: ${(error as Error).message}`, ExitCode.unavailable);
  }
}
