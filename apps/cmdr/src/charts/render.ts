import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { runHelm } from '../helm/helm.ts';
import { stageChart } from '../helm/stage-chart.ts';
import { type Manifest, parseManifests } from '../manifests/parse.ts';

export interface RenderOutcome {
  ok: boolean;
  /** helm's stdout (the manifests) */
  output: string;
  /** helm's stderr (why it failed) */
  error: string;
  manifests: Manifest[];
}

/** `helm template <release> <chart> -f <values>` on a staged copy of the chart. */
export async function renderChart(
  chartDir: string,
  values: Record<string, unknown> = {},
  options: { release?: string; namespace?: string } = {},
): Promise<RenderOutcome> {
  return withStaged(chartDir, values, async (dir, valuesFile, name) => {
    const result = await runHelm([
      'template',
      options.release ?? name,
      dir,
      '--namespace',
      options.namespace ?? 'single',
      '--values',
      valuesFile,
    ]);
    const ok = result.code === 0;
    return { ok, output: result.stdout, error: result.stderr, manifests: ok ? parseManifests(result.stdout) : [] };
  });
}

/** `helm lint --strict` with the given values. */
export async function lintChart(chartDir: string, values: Record<string, unknown> = {}) {
  return withStaged(chartDir, values, async (dir, valuesFile) => {
    const result = await runHelm(['lint', '--strict', dir, '--values', valuesFile]);
    return { ok: result.code === 0, output: `${result.stdout}${result.stderr}` };
  });
}

async function withStaged<T>(
  chartDir: string,
  values: Record<string, unknown>,
  work: (dir: string, valuesFile: string, name: string) => Promise<T>,
): Promise<T> {
  const staged = stageChart(chartDir);
  const scratch = mkdtempSync(join(tmpdir(), 'cmdr-values-'));
  try {
    const valuesFile = join(scratch, 'values.yaml');
    writeFileSync(valuesFile, stringify(values));
    return await work(staged.dir, valuesFile, staged.name);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    staged.dispose();
  }
}
