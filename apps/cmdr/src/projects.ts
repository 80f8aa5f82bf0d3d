import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { parseEcrHost } from './ecr-host.ts';
import { CmdrError, ExitCode, notFound } from './exit-codes.ts';

const name = z.string().regex(/^[a-z][a-z0-9-]*$/, 'lowercase letters, digits and dashes');

const environmentSchema = z.strictObject({ kubeContext: z.string().min(1), namespace: name });

const projectEnvironmentSchema = z.strictObject({
  hosts: z.array(z.string().min(1)).optional(),
  values: z.record(z.string(), z.unknown()).default({}),
});

const projectSchema = z.strictObject({
  name,
  chart: z.string().min(1),
  /** Repository name under `registry`. */
  image: z.string().min(1),
  environments: z.record(name, projectEnvironmentSchema),
});

/**
 * Where a vendor chart comes from: a classic chart repository (https, an index.yaml) or an OCI registry path
 * (Bitnami publishes only there), which helm takes as `oci://<registry>/<path>/<chart>` without `--repo`.
 */
const chartRepository = z
  .string()
  .regex(
    /^(https:\/\/[^/\s]+(\/\S*)?|oci:\/\/[^/\s]+\/\S*[^/\s])$/,
    'an https:// chart repository or an oci://<registry>/<path> (no trailing slash)',
  );

// An image name's registry part as the OCI distribution spec and buildah take it: a lowercase host (DNS labels or
// an IPv4 address) with an optional port, then one or more lowercase path components; no scheme, no trailing
// slash. `${registry}/${image}:${tag}` must name an image as is.
const LABEL = '[a-z0-9](?:[a-z0-9-]*[a-z0-9])?';
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REGISTRY = new RegExp(`^${LABEL}(?:\\.${LABEL})*(?::[0-9]{1,5})?(?:/${COMPONENT})+$`);
const REGISTRY_FORM = 'host[:port]/path, e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/single';

/** Why `value` is not a registry, in words (every rule it breaks); undefined when it is one. */
export function registryProblem(value: string): string | undefined {
  const port = /^[^/]*:([0-9]+)(?:\/|$)/.exec(value);
  const portOk = port === null || (Number(port[1]) >= 1 && Number(port[1]) <= 65535);
  if (REGISTRY.test(value) && portOk) return undefined;
  const broken: string[] = [];
  if (!portOk) broken.push(`a port from 1 to 65535 (${port?.[1]})`);
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value);
  if (scheme) broken.push(`no scheme (${scheme[1]}://)`);
  if (value.endsWith('/')) broken.push('no trailing slash');
  if (value !== value.toLowerCase()) broken.push('lowercase only');
  if (!scheme && !value.replace(/\/+$/, '').includes('/')) broken.push('a path after the host');
  if (broken.length === 0) broken.push('not a registry path');
  return `${broken.join(', ')}: write ${REGISTRY_FORM}`;
}

// projects.yaml ships ECR's all-zero account as its registry: a name of the right form that is nobody's registry.
// What pushes to it or deploys from it refuses it before doing anything (a push would build for minutes and then
// fail on credentials; a deploy would get as far as pods that cannot pull), saying how to name the real one.
/**
 * Whether a registry or repository (`host/path[/image]`) is in the placeholder account 000000000000: any ECR host
 * form (classic or dual-stack), written in any case (DNS names are case-insensitive).
 */
export function isPlaceholderRegistry(value: string): boolean {
  const host = value.split('/')[0] ?? '';
  return parseEcrHost(host.toLowerCase())?.account === PLACEHOLDER_ACCOUNT;
}
const PLACEHOLDER_ACCOUNT = '000000000000';

/** The operator's message for a placeholder registry: where it came from, how to name the real one, what was not done. */
export function placeholderRegistryError(value: string, source: string, outcome: string): CmdrError {
  return new CmdrError(
    `${source} is ${value}, a placeholder (AWS account 000000000000, nobody's registry): set CMDR_REGISTRY to ` +
      `your registry (e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/single) or edit registry: in projects.yaml; ${outcome}`,
    ExitCode.conflict,
  );
}

export interface ChosenRegistry {
  registry: string;
  /** Where it came from, in the words of an error message. */
  source: string;
}

/**
 * The registry images are named under and pushed to: `--registry`, else `$CMDR_REGISTRY`, else projects.yaml's.
 * One given on the command line or in the environment is held to projects.yaml's rules (usage error).
 */
export function chooseRegistry(ws: Workspace, flag: string | undefined, env: NodeJS.ProcessEnv): ChosenRegistry {
  const [given, source] = flag !== undefined ? [flag, '--registry'] : [env.CMDR_REGISTRY, '$CMDR_REGISTRY'];
  if (given === undefined) return { registry: ws.file.registry, source: "projects.yaml's registry" };
  const problem = registryProblem(given);
  if (problem !== undefined) throw new CmdrError(`invalid registry "${given}": ${problem}`, ExitCode.usage);
  return { registry: given, source };
}

const registrySchema = z.string().superRefine((value, ctx) => {
  const problem = registryProblem(value);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `"${value}": ${problem}` });
});

/** A vendor's chart (e.g. Traefik's) deployed with our values: pinned to an exact version. */
const infrastructureSchema = z.strictObject({
  name,
  chart: z.strictObject({
    repository: chartRepository,
    name,
    version: z.string().regex(/^\d+\.\d+\.\d+$/, 'an exact chart version (pinned)'),
  }),
  namespace: name,
  /** Our values for the chart, relative to projects.yaml; environment values are merged over them. */
  valuesFile: z.string().min(1),
  environments: z.record(name, z.strictObject({ values: z.record(z.string(), z.unknown()).default({}) })),
});

export const projectsFileSchema = z
  .strictObject({
    registry: registrySchema,
    environments: z.record(name, environmentSchema),
    infrastructure: z.array(infrastructureSchema).default([]),
    projects: z.array(projectSchema).min(1),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    for (const [i, project] of file.projects.entries()) {
      if (seen.has(project.name)) ctx.addIssue({ code: 'custom', path: ['projects', i, 'name'], message: 'duplicate' });
      seen.add(project.name);
      for (const env of Object.keys(project.environments)) {
        if (!(env in file.environments)) {
          ctx.addIssue({ code: 'custom', path: ['projects', i, 'environments', env], message: 'unknown environment' });
        }
      }
    }
    for (const [i, entry] of file.infrastructure.entries()) {
      if (seen.has(entry.name)) {
        ctx.addIssue({ code: 'custom', path: ['infrastructure', i, 'name'], message: 'duplicate' });
      }
      seen.add(entry.name);
      for (const env of Object.keys(entry.environments)) {
        if (!(env in file.environments)) {
          const path = ['infrastructure', i, 'environments', env];
          ctx.addIssue({ code: 'custom', path, message: 'unknown environment' });
        }
      }
    }
  });

export type ProjectsFile = z.infer<typeof projectsFileSchema>;
export type Project = ProjectsFile['projects'][number];
export type Infrastructure = ProjectsFile['infrastructure'][number];

export interface Workspace {
  /** Directory holding projects.yaml; chart paths are relative to it. */
  root: string;
  file: ProjectsFile;
}

/** Walks up from `from` to the directory that holds projects.yaml (the repository root). */
export function findRoot(from: string = process.cwd()): string {
  let dir = resolve(from);
  for (;;) {
    if (existsSync(join(dir, 'projects.yaml'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw notFound(`projects.yaml not found in ${from} or any parent directory`);
    dir = parent;
  }
}

export function loadWorkspace(root: string = findRoot()): Workspace {
  const path = join(root, 'projects.yaml');
  const parsed = projectsFileSchema.safeParse(parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    const problems = parsed.error.issues.flatMap(describeIssue).join('; ');
    throw new CmdrError(`${path} is invalid: ${problems}`, ExitCode.invalid);
  }
  return { root, file: parsed.data };
}

/** One line per problem, each with its path in the file; an unknown key (a typo) named with its own path. */
export function describeIssue(issue: z.core.$ZodIssue): string[] {
  const at = (path: readonly PropertyKey[]) => (path.length > 0 ? path.map(String).join('.') : '(top level)');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => `${at([...issue.path, key])}: unknown key`);
  }
  return [`${at(issue.path)}: ${issue.message}`];
}

export function getProject(ws: Workspace, projectName: string): Project {
  const project = ws.file.projects.find((p) => p.name === projectName);
  if (project === undefined) {
    const known = ws.file.projects.map((p) => p.name).join(', ');
    throw notFound(`unknown project "${projectName}" (projects.yaml has: ${known})`);
  }
  return project;
}

export function getEnvironment(ws: Workspace, project: Project, env: string) {
  const cluster = ws.file.environments[env];
  const perProject = project.environments[env];
  if (cluster === undefined || perProject === undefined) {
    throw notFound(`project "${project.name}" has no environment "${env}"`);
  }
  return { name: env, ...cluster, ...perProject };
}
