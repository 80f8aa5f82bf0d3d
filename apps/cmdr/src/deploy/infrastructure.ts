import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { CmdrError, ExitCode, notFound } from '../exit-codes.ts';
import { helm } from '../helm/helm.ts';
import type { Infrastructure, Workspace } from '../projects.ts';
import { type DeployResult, mergeValues } from './deploy.ts';

/**
 * What `deploy` returns for a project, since `deploy` hands infrastructure entries here. `image` names the vendor
 * chart and its pinned version, e.g. traefik 37.3.0 from https://traefik.github.io/charts.
 */
export type InfrastructureResult = DeployResult;

/** Our values for one environment: the values file, then the environment's values over it. */
export function infrastructureValues(ws: Workspace, entry: Infrastructure, env: string): Record<string, unknown> {
  const perEnv = entry.environments[env];
  if (ws.file.environments[env] === undefined || perEnv === undefined) {
    throw notFound(`infrastructure "${entry.name}" has no environment "${env}"`);
  }
  const base = (parse(readFileSync(join(ws.root, entry.valuesFile), 'utf8')) ?? {}) as Record<string, unknown>;
  return mergeValues(base, perEnv.values);
}

/**
 * The chart archive `helm pull` leaves, if someone put it next to the values (`infra/<name>/`): the only way
 * to render a vendor chart without the network. Without it a dry run prints the values and the helm command.
 */
function offlineChart(ws: Workspace, entry: Infrastructure): string | undefined {
  const archive = join(ws.root, 'infra', entry.name, `${entry.chart.name}-${entry.chart.version}.tgz`);
  return existsSync(archive) ? archive : undefined;
}

/**
 * The chart reference helm resolves: from an OCI registry the chart is a path under it (helm refuses `--repo`
 * with an oci:// reference), from a classic repository its name with `--repo`. Both pinned with `--version`.
 */
export function chartSource(entry: Infrastructure): string[] {
  const { repository, name, version } = entry.chart;
  return repository.startsWith('oci://')
    ? [`${repository}/${name}`, '--version', version]
    : [name, '--repo', repository, '--version', version];
}

export async function deployInfrastructure(
  ws: Workspace,
  entry: Infrastructure,
  options: { env: string; tag: string; dryRun: boolean },
): Promise<InfrastructureResult> {
  const values = infrastructureValues(ws, entry, options.env);
  const cluster = ws.file.environments[options.env]!;
  const scratch = mkdtempSync(join(tmpdir(), 'cmdr-infra-'));
  try {
    const valuesFile = join(scratch, 'values.yaml');
    writeFileSync(valuesFile, stringify(values));
    const archive = offlineChart(ws, entry);
    const source = archive ? [entry.name, archive] : [entry.name, ...chartSource(entry)];
    const args = [...source, '--namespace', entry.namespace, '--values', valuesFile];
    const base = {
      project: entry.name,
      env: options.env,
      release: entry.name,
      namespace: entry.namespace,
      kubeContext: cluster.kubeContext,
      tag: options.tag,
      image: `${entry.chart.name} ${entry.chart.version} from ${entry.chart.repository}`,
    };
    if (options.dryRun) {
      if (!archive) {
        return {
          ...base,
          dryRun: true,
          values,
          note: `chart ${entry.chart.name} ${entry.chart.version} is not on disk: not rendered (values and helm command only)`,
          helmArgs: ['template', ...args],
        };
      }
      const rendered = await helm(['template', ...args], { exitCode: ExitCode.invalid });
      return { ...base, dryRun: true, values, manifests: rendered.stdout, helmArgs: ['template', ...args] };
    }
    const upgradeArgs = [
      'upgrade',
      '--install',
      ...args,
      '--create-namespace',
      '--kube-context',
      cluster.kubeContext,
      '--rollback-on-failure',
      '--wait=watcher',
      '--timeout',
      '10m',
    ];
    await helm(upgradeArgs, { exitCode: ExitCode.failure });
    return { ...base, dryRun: false, helmArgs: upgradeArgs };
  } catch (err) {
    if (err instanceof CmdrError) throw err;
    throw new CmdrError(`infrastructure ${entry.name}: ${(err as Error).message}`, ExitCode.failure);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
