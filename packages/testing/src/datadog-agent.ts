import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decode } from '@msgpack/msgpack';

/** One span as the tracer sent it, ids as decimal strings (the low 64 bits, as x-datadog-trace-id carries them). */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** "0" for a root span. */
  parentId: string;
  service: string;
  name: string;
  resource: string;
  type: string;
  error: number;
  meta: Record<string, string>;
  metrics: Record<string, number>;
  /** Nanoseconds since the epoch. */
  start: bigint | number;
  duration: bigint | number;
}

/**
 * A local stand-in for the Datadog agent: it takes the trace intake of the agent API (PUT or POST
 * `/v0.4/traces` and `/v0.5/traces`, msgpack) on a port of its own and keeps every span, so a test run with
 * `DD_TRACE_AGENT_URL` pointing here can assert what a process traced. Everything else the tracer may call
 * (`/info`, remote configuration, telemetry, stats) answers 404, which dd-trace reads as "feature absent".
 */
export interface FakeDatadogAgent {
  /** For DD_TRACE_AGENT_URL. */
  url: string;
  spans(): ReceivedSpan[];
  /** Payloads that could not be decoded (a test should expect none). */
  rejected(): string[];
  /** Resolves with the spans once `done(spans)` holds; rejects with what arrived after `timeoutMs`. */
  waitFor(done: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  close(): Promise<void>;
}

// uint64 ids must stay exact: as numbers they would lose precision past 2^53.
const DECODE_OPTIONS = { useBigInt64: true } as const;

const id = (value: unknown): string =>
  typeof value === 'bigint' || typeof value === 'number' ? BigInt(value).toString() : String(value ?? '0');

/** A v0.4 span: a map with named fields. */
function fromV04(span: Record<string, unknown>): ReceivedSpan {
  return {
    traceId: id(span.trace_id),
    spanId: id(span.span_id),
    parentId: id(span.parent_id),
    service: String(span.service ?? ''),
    name: String(span.name ?? ''),
    resource: String(span.resource ?? ''),
    type: String(span.type ?? ''),
    error: Number(span.error ?? 0),
    meta: (span.meta ?? {}) as Record<string, string>,
    metrics: Object.fromEntries(
      Object.entries((span.metrics ?? {}) as Record<string, unknown>).map(([k, v]) => [k, Number(v)]),
    ),
    start: span.start as bigint | number,
    duration: span.duration as bigint | number,
  };
}

/**
 * A v0.5 span: an array of 12 (service, name, resource, trace_id, span_id, parent_id, start, duration, error,
 * meta, metrics, type), every string an index into the payload's string table.
 */
function fromV05(fields: unknown[], strings: string[]): ReceivedSpan {
  const str = (index: unknown) => strings[Number(index)] ?? '';
  // The maps' keys are indexes too (decoded as object keys, so as decimal strings).
  const map = <T>(m: unknown, value: (v: unknown) => T) =>
    Object.fromEntries(Object.entries((m ?? {}) as Record<string, unknown>).map(([k, v]) => [str(k), value(v)]));
  return {
    service: str(fields[0]),
    name: str(fields[1]),
    resource: str(fields[2]),
    traceId: id(fields[3]),
    spanId: id(fields[4]),
    parentId: id(fields[5]),
    start: fields[6] as bigint | number,
    duration: fields[7] as bigint | number,
    error: Number(fields[8] ?? 0),
    meta: map(fields[9], str),
    metrics: map(fields[10], Number),
    type: str(fields[11]),
  };
}

/** Decodes a trace payload of either version into its spans; throws on anything else. */
export function decodeTracePayload(version: '0.4' | '0.5', body: Uint8Array): ReceivedSpan[] {
  if (body.length === 0) return [];
  if (version === '0.4') {
    const traces = decode(body, DECODE_OPTIONS) as Record<string, unknown>[][];
    if (!Array.isArray(traces)) throw new Error('v0.4 payload is not an array of traces');
    return traces.flatMap((trace) => trace.map(fromV04));
  }
  const payload = decode(body, DECODE_OPTIONS) as [string[], unknown[][][]];
  if (!Array.isArray(payload) || payload.length !== 2) throw new Error('v0.5 payload is not [strings, traces]');
  const [strings, traces] = payload;
  return traces.flatMap((trace) => trace.map((span) => fromV05(span, strings)));
}

async function bodyOf(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startFakeDatadogAgent(): Promise<FakeDatadogAgent> {
  const spans: ReceivedSpan[] = [];
  const rejected: string[] = [];
  const server = createServer((request, response) => {
    const match = /^\/v0\.([45])\/traces$/.exec(request.url ?? '');
    if (!match || (request.method !== 'PUT' && request.method !== 'POST')) {
      request.resume();
      response.writeHead(404).end();
      return;
    }
    void bodyOf(request).then((body) => {
      try {
        spans.push(...decodeTracePayload(match[1] === '4' ? '0.4' : '0.5', body));
      } catch (err) {
        rejected.push(`${request.url}: ${err instanceof Error ? err.message : String(err)}`);
        response.writeHead(400).end();
        return;
      }
      // The agent's answer: the sampling rates the tracer should apply (none: keep its defaults).
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"rate_by_service":{}}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => [...spans],
    rejected: () => [...rejected],
    async waitFor(done, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!done(spans)) {
        if (Date.now() > deadline) {
          const seen = spans.map((s) => `${s.service} ${s.name} ${s.resource} trace=${s.traceId}`).join('\n');
          throw new Error(`spans not as expected after ${timeoutMs} ms; received:\n${seen}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      return [...spans];
    },
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
