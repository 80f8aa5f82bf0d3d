export {
  extractTraceContext,
  messagingTraceHooks,
  outboxTraceContext,
  relaySpans,
  type Span,
  type TraceHeaders,
  traceHeaders,
  traceLogFields,
  tracer,
  useRelaySpansForKafkaProduce,
  withSpan,
} from './trace.ts';
