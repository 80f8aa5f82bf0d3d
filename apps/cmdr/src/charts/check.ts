import { join } from 'node:path';
import { releaseValues } from '../deploy/deploy.ts';
import { validateManifests } from '../manifests/validate.ts';
import type { Workspace } from '../projects.ts';
import { lintChart, renderChart } from './render.ts';
import { explainChartRule, explainValuesError } from './values-errors.ts';
import { vendoredProblems } from './vendor.ts';

export interface ChartCheck {
  project: string;
  /** `default` = the chart's own values.yaml */
  env: string;
  lint: boolean;
  render: boolean;
  objects: number;
  problems: string[];
}

/** The CI gate for charts: lint --strict, render and validate every chart with defaults and each environment. */
export async function checkCharts(
  ws: Workspace,
  options: { tag?: string; onProgress?: (done: number, total: number) => void } = {},
): Promise<ChartCheck[]> {
  const tag = options.tag ?? 'ci-check';
  const jobs = ws.file.projects.flatMap((project) => [
    { project, env: 'default', values: {} as Record<string, unknown> },
    ...Object.keys(project.environments).map((env) => ({ project, env, values: releaseValues(ws, project, env, tag) })),
  ]);
  const results: ChartCheck[] = [];
  for (const [i, job] of jobs.entries()) {
    const chartDir = join(ws.root, job.project.chart);
    const lint = await lintChart(chartDir, job.values);
    const render = await renderChart(chartDir, job.values, { release: job.project.name });
    const problems = [
      ...(lint.ok ? [] : [`helm lint: ${lint.output.trim()}`]),
      ...(render.ok
        ? []
        : (explainValuesError(render.error, chartDir, job.values)?.map((l) => `values: ${l}`) ??
          chartRuleProblem(render.error) ?? [`helm template: ${render.error.trim()}`])),
      ...(await validateManifests(render.manifests)).map((p) => `${p.kind}/${p.name}: ${p.message}`),
      // Once per chart: what plain helm (a fresh clone, Argo CD) renders must be what cmdr renders.
      ...(job.env === 'default'
        ? vendoredProblems(chartDir).map((p) => `${p} (run \`cmdr charts vendor\` and commit the result)`)
        : []),
    ];
    results.push({
      project: job.project.name,
      env: job.env,
      lint: lint.ok,
      render: render.ok,
      objects: render.manifests.length,
      problems,
    });
    options.onProgress?.(i + 1, jobs.length);
  }
  return results;
}

/** A rule of the chart's templates (helm's `fail`) as that rule, where it failed as detail. */
function chartRuleProblem(stderr: string): string[] | undefined {
  const chartRule = explainChartRule(stderr);
  return chartRule && [`values: ${chartRule.rule} (helm template: execution error at ${chartRule.at})`];
}
