// Loaded first with `node --import @single/tracing/register`, before any instrumented module, so that
// dd-trace can hook fastify, pg, amqplib, kafkajs and ioredis. Configuration comes from Datadog's own
// DD_* variables (DD_ENV, DD_SERVICE, DD_VERSION, DD_AGENT_HOST). With no agent it stays quiet:
// startup logs off and nothing printed when the agent cannot be reached.
process.env.DD_TRACE_STARTUP_LOGS ??= 'false';
process.env.DD_LOGS_INJECTION ??= 'true';
process.env.DD_RUNTIME_METRICS_ENABLED ??= 'false';
process.env.DD_TRACE_TELEMETRY_ENABLED ??= 'false';
await import('dd-trace/initialize.mjs');
