import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

interface ChartYaml {
  name: string;
  dependencies?: { name: string; repository?: string }[];
}

export interface StagedChart {
  dir: string;
  name: string;
  dispose(): void;
}

/**
 * Copies a chart to a temporary directory with its `file://` dependencies unpacked under charts/,
 * which is what `helm dependency build` would produce, without writing build output into the repo
 * or needing a chart repository.
 */
export function stageChart(chartDir: string): StagedChart {
  const root = mkdtempSync(join(tmpdir(), 'cmdr-chart-'));
  const copy = (from: string): { dir: string; name: string } => {
    const chart = parse(readFileSync(join(from, 'Chart.yaml'), 'utf8')) as ChartYaml;
    const dir = join(root, `${chart.name}-${Math.random().toString(36).slice(2, 8)}`);
    cpSync(from, dir, { recursive: true, filter: (src) => !src.endsWith('.tgz') });
    for (const dep of chart.dependencies ?? []) {
      if (!dep.repository?.startsWith('file://')) continue;
      const depSource = resolve(from, dep.repository.slice('file://'.length));
      const staged = copy(depSource);
      mkdirSync(join(dir, 'charts'), { recursive: true });
      cpSync(staged.dir, join(dir, 'charts', dep.name), { recursive: true });
    }
    return { dir, name: chart.name };
  };
  const staged = copy(resolve(chartDir));
  return { ...staged, dispose: () => rmSync(root, { recursive: true, force: true }) };
}
