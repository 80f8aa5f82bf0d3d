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

/**
 * Trace context of the active span to store in an outbox row, beside the effect it traces: null outside any
 * trace. A relay publishing the row later continues this trace (relaySpans), which a live span cannot do: the
 * publish runs in another transaction, another loop, often another process.
 */
export function outboxTraceContext(span: Span | null = tracer.scope().active()): TraceHeaders | null {
  const headers = traceHeaders(span);
  return Object.keys(headers).length > 0 ? headers : null;
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
  const extracted = options.parentHeaders ? extractTraceContext(options.parentHeaders) : null;
  // An integration (amqplib, kafkajs) may already run this inside its own consumer span continuing the same
  // trace: then nest under that span rather than beside it.
  const active = tracer.scope().active();
  const continued = extracted && active?.context().toTraceId() === extracted.toTraceId();
  const childOf = extracted && !continued ? extracted : undefined;
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
 * Producer spans for a batch a relay publishes from its outbox: one span per distinct stored trace context
 * (rows without one share a new trace), each a child of the trace that wrote its rows. `headers[i]` is the
 * context to send with row i, so each consumer continues its own row's trace. `finish` ends the spans when
 * the broker answered (with the error, if it failed).
 */
export function relaySpans(
  name: string,
  contexts: readonly (Record<string, unknown> | null | undefined)[],
  options: { resource: string; tags?: Record<string, unknown> },
): { headers: TraceHeaders[]; finish(error?: unknown): void } {
  const spans = new Map<string, { span: Span; headers: TraceHeaders }>();
  const headers = contexts.map((context) => {
    const key = JSON.stringify(context ?? null);
    let entry = spans.get(key);
    if (!entry) {
      const childOf = extractTraceContext(context ?? undefined);
      const span = tracer.startSpan(name, {
        ...(childOf ? { childOf } : {}),
        tags: { 'resource.name': options.resource, 'span.kind': 'producer', ...options.tags },
      }) as Span;
      entry = { span, headers: traceHeaders(span) };
      spans.set(key, entry);
    }
    return entry.headers;
  });
  return {
    headers,
    finish(error?: unknown) {
      for (const { span } of spans.values()) {
        if (error) span.setTag('error', error);
        span.finish();
      }
    },
  };
}

/**
 * dd-trace's kafkajs integration gives every send one producer span and writes its context into every message,
 * over the context a relay set per message from its outbox rows (one batch holds many traces). A process that
 * relays an outbox to Kafka turns that producer side off and makes its own spans (relaySpans); consuming stays
 * instrumented. Idempotent; a no-op while tracing is off.
 */
export function useRelaySpansForKafkaProduce(): void {
  // dd-trace's types omit the per-part switch its CompositePlugin.configure reads (producer, consumer).
  const producerOff = { producer: false } as ddTrace.plugins.kafkajs;
  tracer.use('kafkajs', producerOff);
}

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
