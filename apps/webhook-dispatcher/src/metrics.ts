import type { Db } from '@single/db';
import { Counter, createMetricsRegistry, Histogram, type Registry, scrapeGauge, scrapeReader } from '@single/http';

/** The lanes the relay publishes (runtime.ts); each is shown, at 0 when empty, so a monitor always has data. */
const LANES = ['orders', 'privacy'] as const;

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

  constructor(db: Db, registry: Registry = createMetricsRegistry()) {
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
    const backlog = scrapeReader(() => readBacklog(db), { source: 'postgres', registry });
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

/** Rows per lane and the age of each lane's oldest row (0 when none waits), every known lane shown. */
async function readBacklog(db: Db) {
  const groups = await db.dispatchOutbox.groupBy({ by: ['lane'], _count: { _all: true }, _min: { createdAt: true } });
  // This process's clock, not the database's: the age of a row is at most a clock skew off, never below 0.
  const at = Date.now();
  const byLane = new Map(
    groups.map((g) => [
      g.lane,
      {
        lane: g.lane,
        rows: g._count._all,
        oldestSeconds: g._min.createdAt ? Math.max(0, (at - g._min.createdAt.getTime()) / 1000) : 0,
      },
    ]),
  );
  return [...new Set([...LANES, ...byLane.keys()])].map(
    (lane) => byLane.get(lane) ?? { lane, rows: 0, oldestSeconds: 0 },
  );
}
