import { Counter, createMetricsRegistry, Histogram, type Registry, scrapeGauge, scrapeReader } from '@single/http';
import type { Pool } from 'pg';

/** The lanes the relay publishes (runtime.ts); each is shown, at 0 when empty, so a monitor always has data. */
const LANES = ['orders', 'privacy'] as const;

interface LaneBacklog {
  lane: string;
  rows: number;
  oldestSeconds: number;
}

/**
 * The dispatcher's metrics (GET /metrics, scraped by the Datadog agent; monitors in infra/monitors/).
 * The outbox gauges are read from PostgreSQL at scrape time (cached a few seconds, with a deadline): rows the
 * relay still owes RabbitMQ, whichever replica is scraped. Answers and claim latency are this process's own.
 */
export class DispatcherMetrics {
  readonly registry: Registry;
  /** Webhook answers by HTTP status and outcome (`accepted`, `duplicate` or the problem's `code`). */
  readonly answers: Counter<'status_code' | 'outcome'>;
  /** From the claim's start (known-shop check, dedupe, the batched INSERT) to its commit or failure. */
  readonly claimSeconds: Histogram<'outcome'>;

  constructor(pool: Pool, registry: Registry = createMetricsRegistry()) {
    this.registry = registry;
    this.answers = new Counter({
      name: 'webhook_answers_total',
      help: 'Shopify webhook answers, by status code and outcome (accepted, duplicate or the problem code)',
      labelNames: ['status_code', 'outcome'],
      registers: [registry],
    });
    this.claimSeconds = new Histogram({
      name: 'webhook_claim_duration_seconds',
      help: 'Time to claim a delivery durably (PostgreSQL commit), by outcome',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    const backlog = scrapeReader(() => readBacklog(pool), { source: 'postgres', registry });
    scrapeGauge({
      name: 'dispatch_outbox_backlog',
      help: 'Deliveries claimed but not yet published to RabbitMQ, by lane',
      labelNames: ['lane'],
      registry,
      read: backlog,
      values: (lanes) => lanes.map((l) => ({ labels: { lane: l.lane }, value: l.rows })),
    });
    scrapeGauge({
      name: 'dispatch_outbox_oldest_age_seconds',
      help: 'Age of the oldest delivery waiting for the relay, by lane (0 when none waits)',
      labelNames: ['lane'],
      registry,
      read: backlog,
      values: (lanes) => lanes.map((l) => ({ labels: { lane: l.lane }, value: l.oldestSeconds })),
    });
  }
}

async function readBacklog(pool: Pool): Promise<LaneBacklog[]> {
  const { rows } = await pool.query<LaneBacklog>(
    `SELECT lane, count(*)::int AS "rows",
            coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 AS "oldestSeconds"
       FROM dispatch_outbox GROUP BY lane`,
  );
  const byLane = new Map(rows.map((r) => [r.lane, r]));
  return [...new Set([...LANES, ...byLane.keys()])].map(
    (lane) => byLane.get(lane) ?? { lane, rows: 0, oldestSeconds: 0 },
  );
}
