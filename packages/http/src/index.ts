export { createHttpApp, type HttpApp, type HttpAppOptions } from './app.ts';
export { databaseUnavailableProblem, isDatabaseUnavailable } from './database-unavailable.ts';
export { registerErrorHandling, sendProblem, toProblemError } from './errors.ts';
export { type HealthState, type ReadinessCheck, registerHealthRoutes } from './health.ts';
export {
  Counter,
  countResponses,
  createMetricsRegistry,
  Gauge,
  Histogram,
  metricsRoute,
  openMetrics,
  prefersOpenMetrics,
  Registry,
  registerMetrics,
  type ScrapeGaugeOptions,
  type ScrapeReaderOptions,
  scrapeGauge,
  scrapeReader,
} from './metrics.ts';
export { PROBLEM_CONTENT_TYPE, type Problem, ProblemError } from './problem.ts';
export { type RunningServer, type ServeOptions, serve } from './serve.ts';
export { warmUpBeforeTraffic } from './warm-up.ts';
