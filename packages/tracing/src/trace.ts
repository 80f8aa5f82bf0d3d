import ddTrace from 'dd-trace';

// dd-trace is a process-wide singleton: a no-op until initialised by ./register.ts, so everything below
// is safe (and costs almost nothing) in tests and in the demo, where no agent runs.
const tracer = ddTrace;

export type TraceHeaders = Record<string, string>;
export type Span = ddTrace.Span;

/** Trace context of the active span, as message headers (AMQP and Kafka alike). */
export function traceHeaders(span: Span | null = tracer.scope().active()): TraceHeaders {
  const carrier: TraceHeaders = {};
  if (span) tracer.inject(span, 'text_map', carrier);
  return carrier;
}

/** Reads trace context back from message headers whose values may be strings or Buffers (Kafka). */
export function extractTraceContext(headers: Record<string, unknown> | undefined): ddTrace.SpanContext | null {
  if (!headers) return null;
  const carrier: TraceHeaders = {};
  for (const [key, value] of Object.entries(headers)) {
    if (typeof value === 'string') carrier[key] = value;
    else if (Buffer.isBuffer(value)) carrier[key] = value.toString('utf8');
  }
  return tracer.extract('text_map', carrier);
}

/**
 * Runs `fn` inside a span. With `parentHeaders` the span continues the trace of the message that carried
 * them (the consumer side of a publish).
 */
export function withSpan<T>(
  name: string,
  options: { resource?: string; tags?: Record<string, unknown>; parentHeaders?: Record<string, unknown> },
  fn: (span: Span) => T,
): T {
  const childOf = options.parentHeaders ? extractTraceContext(options.parentHeaders) : undefined;
  return tracer.trace(
    name,
    { resource: options.resource, tags: options.tags, ...(childOf ? { childOf } : {}) },
    (span) => fn(span as Span),
  );
}

/** pino mixin: trace and span ids on every log line written inside a span. */
export function traceLogFields(): Record<string, unknown> {
  const span = tracer.scope().active();
  if (!span) return {};
  const context = span.context();
  return { dd: { trace_id: context.toTraceId(), span_id: context.toSpanId() } };
}

export { tracer };

/**
 * Hooks for @single/messaging (structurally typed, so tracing does not depend on it): publishes carry the
 * active span's context, and each consumed message runs in a span continuing the publisher's trace.
 */
export function messagingTraceHooks(service?: string) {
  return {
    onPublishHeaders: (headers: Record<string, unknown>) => ({ ...headers, ...traceHeaders() }),
    onConsume: (
      message: { headers: Record<string, unknown>; routingKey: string; queue: string },
      run: () => Promise<void>,
    ) =>
      withSpan(
        'amqp.consume',
        {
          resource: message.routingKey,
          tags: { 'messaging.queue': message.queue, ...(service ? { service } : {}) },
          parentHeaders: message.headers,
        },
        () => run(),
      ),
  };
}
