import type { Db } from '@single/db';
import { Counter, Registry, scrapeGauge, scrapeReader } from '@single/http';

export type OutboxName = 'email' | 'shopify_fulfillment';

/** Why a row ended `failed` (the `error_class` column); the alarm watches the first two. */
export type FailureClass = 'transient' | 'permanent' | 'no_recipient' | 'grants_revoked';

/**
 * The worker's Prometheus metrics (GET /metrics on its health server, scraped by the Datadog agent's
 * OpenMetrics check; the monitor is infra/monitors/fulfillment-outbox-failed.json).
 *
 * `fulfillment_outbox_failed` is read from PostgreSQL at each scrape, not counted in process: it is what
 * waits for a redrive (`cmdr outbox redrive`), the same number whichever replica is scraped and after a
 * restart, and it falls back to 0 once an operator redrives (within the few seconds a read is cached).
 * The counters are this process's own, for rates.
 */
export class OutboxMetrics {
  readonly registry: Registry;
  readonly #failures: Counter<'outbox' | 'class'>;
  readonly #uncertain: Counter<'outbox'>;

  constructor(db?: Db, registry: Registry = new Registry()) {
    this.registry = registry;
    this.#failures = new Counter({
      name: 'fulfillment_outbox_failures_total',
      help: 'Emails and Shopify fulfilments this process marked failed, by outbox and class',
      labelNames: ['outbox', 'class'],
      registers: [registry],
    });
    this.#uncertain = new Counter({
      name: 'fulfillment_outbox_uncertain_resends_total',
      help: 'Attempts whose fate was unknown (found sending after the lease, timed out mid-send), sent again with the same key',
      labelNames: ['outbox'],
      registers: [registry],
    });
    if (db) {
      // Cached a few seconds, with a deadline (@single/http scrapeReader): a scrape storm costs one read.
      const read = scrapeReader(
        async () => {
          const where = { status: 'failed' } as const;
          const [emails, fulfilments] = await Promise.all([
            db.emailMessage.groupBy({ by: ['errorClass'], where, _count: { _all: true } }),
            db.fulfillment.groupBy({ by: ['errorClass'], where, _count: { _all: true } }),
          ]);
          const rows = (outbox: OutboxName, groups: { errorClass: string | null; _count: { _all: number } }[]) =>
            groups.map((g) => ({ outbox, class: g.errorClass ?? 'unknown', n: g._count._all }));
          return [...rows('email', emails), ...rows('shopify_fulfillment', fulfilments)];
        },
        { source: 'postgres', registry },
      );
      scrapeGauge({
        name: 'fulfillment_outbox_failed',
        help: 'Emails and Shopify fulfilments in status failed (waiting for a redrive), by outbox and class',
        labelNames: ['outbox', 'class'],
        registry,
        read,
        values: (rows) => [
          // Every class of the alarm is present, at 0 when none failed, so the monitor has data to judge.
          ...(['email', 'shopify_fulfillment'] as const).flatMap((outbox) =>
            ['transient', 'permanent']
              .filter((c) => !rows.some((r) => r.outbox === outbox && r.class === c))
              .map((c) => ({ labels: { outbox, class: c }, value: 0 })),
          ),
          ...rows.map((row) => ({ labels: { outbox: row.outbox, class: row.class }, value: row.n })),
        ],
      });
    }
  }

  failed(outbox: OutboxName, failureClass: FailureClass): void {
    this.#failures.inc({ outbox, class: failureClass });
  }

  uncertainResend(outbox: OutboxName, count = 1): void {
    if (count > 0) this.#uncertain.inc({ outbox }, count);
  }
}
