export { checkCharts } from './charts/check.ts';
export { renderChart } from './charts/render.ts';
export { runCli } from './cli/program.ts';
export { deploy, promote, releaseValues } from './deploy/deploy.ts';
export { CmdrError, ExitCode } from './exit-codes.ts';
export { loadWorkspace } from './projects.ts';
