export {
  extractTraceContext,
  messagingTraceHooks,
  type Span,
  type TraceHeaders,
  traceHeaders,
  traceLogFields,
  tracer,
  withSpan,
} from './trace.ts';
