import { Counter, createMetricsRegistry, Gauge, type Registry } from '@single/http';
import type { IntegritySnapshot } from './integrity-window.ts';

/**
 * geo-reporting's metrics on prom-client (a registry of its own with Node's process metrics), served at
 * GET /metrics by @single/http's metricsRoute (Prometheus text 0.0.4, or OpenMetrics when the scraper asks). The names are those the header-stripping monitor and the
 * dashboards already use. The integrity gauges are set from the sliding window at each render.
 */
export class Metrics {
  readonly registry: Registry;
  readonly #captures: Counter;
  readonly #limited: Counter;
  readonly #flags: Counter<'flag'>;
  readonly #salesEvents: Counter<'type' | 'outcome'>;
  readonly #ratio: Gauge<'window_seconds'>;
  readonly #degraded: Gauge;
  readonly #windowCaptures: Gauge;
  readonly #windowLimited: Gauge;
  /** sales.v1 events handled, by `type|outcome` (read by tests; the counter is what is exported). */
  readonly salesEvents = new Map<string, number>();

  constructor(registry: Registry = createMetricsRegistry()) {
    this.registry = registry;
    const registers = [registry];
    this.#ratio = new Gauge({
      name: 'geo_capture_header_loss_ratio',
      help: 'Share of captures flagged xff_missing or peer_untrusted over the sliding window.',
      labelNames: ['window_seconds'],
      registers,
    });
    this.#degraded = new Gauge({
      name: 'geo_capture_integrity_degraded',
      help: '1 when the header-loss ratio is above its threshold.',
      registers,
    });
    this.#windowCaptures = new Gauge({
      name: 'geo_capture_window_captures',
      help: 'Captures in the sliding window.',
      registers,
    });
    this.#windowLimited = new Gauge({
      name: 'geo_capture_window_limited',
      help: 'Captures refused by the per-client rate limit in the sliding window.',
      registers,
    });
    this.#limited = new Counter({
      name: 'geo_captures_limited_total',
      help: 'Captures refused by the per-client rate limit (429) since start.',
      registers,
    });
    this.#captures = new Counter({ name: 'geo_captures_total', help: 'Captures stored since start.', registers });
    this.#flags = new Counter({
      name: 'geo_capture_flags_total',
      help: 'Capture flags raised since start.',
      labelNames: ['flag'],
      registers,
    });
    this.#salesEvents = new Counter({
      name: 'geo_sales_events_total',
      help: 'sales.v1 events handled since start, by type and outcome.',
      labelNames: ['type', 'outcome'],
      registers,
    });
  }

  countCapture(flags: readonly string[]): void {
    this.#captures.inc();
    for (const flag of flags) this.#flags.inc({ flag });
  }

  countLimited(): void {
    this.#limited.inc();
  }

  countSalesEvent(type: string, outcome: string): void {
    this.#salesEvents.inc({ type, outcome });
    const key = `${type}|${outcome}`;
    this.salesEvents.set(key, (this.salesEvents.get(key) ?? 0) + 1);
  }

  /** Sets the integrity gauges from `integrity` (the sliding window's snapshot), before a scrape renders them. */
  update(integrity: IntegritySnapshot): void {
    this.#ratio.reset();
    this.#ratio.set({ window_seconds: integrity.windowSeconds }, integrity.share ?? 0);
    this.#degraded.set(integrity.status === 'degraded' ? 1 : 0);
    this.#windowCaptures.set(integrity.captures);
    this.#windowLimited.set(integrity.limited);
  }

  /** The whole registry as Prometheus text, with the integrity gauges set from `integrity`. */
  async render(integrity: IntegritySnapshot): Promise<string> {
    this.update(integrity);
    return this.registry.metrics();
  }
}
