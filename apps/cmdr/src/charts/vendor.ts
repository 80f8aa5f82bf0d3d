import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import { helm } from '../helm/helm.ts';
import { readTgzFiles } from '../helm/tar.ts';
import type { Workspace } from '../projects.ts';

// Each app chart ships its library dependency packaged in its charts/ dir, with a Chart.lock: plain
// `helm lint`, `helm template` and Argo CD then work on a fresh clone without `helm dependency build`.
// cmdr itself renders from the library's source (stage-chart.ts); `cmdr charts check` fails when a vendored
// archive differs from that source, and `cmdr charts vendor` rewrites them.

interface Dependency {
  name: string;
  version: string;
  repository?: string;
}

function readYaml<T>(file: string): T {
  return parse(readFileSync(file, 'utf8')) as T;
}

function localDependencies(chartDir: string): (Dependency & { source: string })[] {
  const chart = readYaml<{ dependencies?: Dependency[] }>(join(chartDir, 'Chart.yaml'));
  return (chart.dependencies ?? [])
    .filter((d) => d.repository?.startsWith('file://'))
    .map((d) => ({ ...d, source: resolve(chartDir, (d.repository as string).slice('file://'.length)) }));
}

function sourceFiles(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? sourceFiles(path, base) : [relative(base, path)];
  });
}

/** What is wrong with one app chart's vendored libraries (empty: plain helm renders what cmdr renders). */
export function vendoredProblems(chartDir: string): string[] {
  const problems: string[] = [];
  const lockFile = join(chartDir, 'Chart.lock');
  const lock = existsSync(lockFile) ? readYaml<{ dependencies?: Dependency[] }>(lockFile) : undefined;
  if (lock === undefined) problems.push('Chart.lock is missing');
  for (const dep of localDependencies(chartDir)) {
    const archive = join(chartDir, 'charts', `${dep.name}-${dep.version}.tgz`);
    if (lock !== undefined && !lock.dependencies?.some((l) => l.name === dep.name && l.version === dep.version)) {
      problems.push(`Chart.lock does not pin ${dep.name} ${dep.version}`);
    }
    if (!existsSync(archive)) {
      problems.push(`charts/${dep.name}-${dep.version}.tgz is missing`);
      continue;
    }
    const packed = readTgzFiles(readFileSync(archive));
    const expected = sourceFiles(dep.source).map((f) => `${dep.name}/${f}`);
    for (const name of expected) {
      const source = readFileSync(join(dep.source, name.slice(dep.name.length + 1)));
      const inArchive = packed.get(name);
      // helm package re-serialises Chart.yaml: compare it as data, every other file byte for byte.
      const same =
        inArchive !== undefined &&
        (name === `${dep.name}/Chart.yaml`
          ? isDeepStrictEqual(parse(inArchive.toString('utf8')), parse(source.toString('utf8')))
          : inArchive.equals(source));
      if (!same)
        problems.push(`charts/${dep.name}-${dep.version}.tgz: ${name} differs from ${relative(chartDir, dep.source)}`);
    }
    for (const name of packed.keys()) {
      if (!expected.includes(name))
        problems.push(`charts/${dep.name}-${dep.version}.tgz: ${name} is not in the source`);
    }
  }
  return problems;
}

/** `helm dependency update` on every app chart: packages each `file://` library into its charts/ dir and writes Chart.lock. */
export async function vendorLibraries(ws: Workspace): Promise<{ project: string; chart: string }[]> {
  const done: { project: string; chart: string }[] = [];
  for (const project of ws.file.projects) {
    const chartDir = join(ws.root, project.chart);
    await helm(['dependency', 'update', chartDir, '--skip-refresh']);
    done.push({ project: project.name, chart: project.chart });
  }
  return done;
}
