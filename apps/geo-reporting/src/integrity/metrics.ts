import type { IntegritySnapshot } from './integrity-window.ts';

/** Process-local counters, exposed in the Prometheus text format at GET /metrics (and to DogStatsD by main.ts). */
export class Metrics {
  readonly captureFlags = new Map<string, number>();
  captures = 0;
  /** Captures the per-client limiter refused (429): each is also in the integrity window's captures. */
  limitedCaptures = 0;
  readonly salesEvents = new Map<string, number>();

  countCapture(flags: readonly string[]): void {
    this.captures += 1;
    for (const flag of flags) this.captureFlags.set(flag, (this.captureFlags.get(flag) ?? 0) + 1);
  }

  countLimited(): void {
    this.limitedCaptures += 1;
  }

  countSalesEvent(type: string, outcome: string): void {
    const key = `${type}|${outcome}`;
    this.salesEvents.set(key, (this.salesEvents.get(key) ?? 0) + 1);
  }

  render(integrity: IntegritySnapshot): string {
    const lines = [
      '# HELP geo_capture_header_loss_ratio Share of captures flagged xff_missing or peer_untrusted over the sliding window.',
      '# TYPE geo_capture_header_loss_ratio gauge',
      `geo_capture_header_loss_ratio{window_seconds="${integrity.windowSeconds}"} ${integrity.share ?? 0}`,
      '# HELP geo_capture_integrity_degraded 1 when the header-loss ratio is above its threshold.',
      '# TYPE geo_capture_integrity_degraded gauge',
      `geo_capture_integrity_degraded ${integrity.status === 'degraded' ? 1 : 0}`,
      '# HELP geo_capture_window_captures Captures in the sliding window.',
      '# TYPE geo_capture_window_captures gauge',
      `geo_capture_window_captures ${integrity.captures}`,
      '# HELP geo_capture_window_limited Captures refused by the per-client rate limit in the sliding window.',
      '# TYPE geo_capture_window_limited gauge',
      `geo_capture_window_limited ${integrity.limited}`,
      '# HELP geo_captures_limited_total Captures refused by the per-client rate limit (429) since start.',
      '# TYPE geo_captures_limited_total counter',
      `geo_captures_limited_total ${this.limitedCaptures}`,
      '# HELP geo_captures_total Captures stored since start.',
      '# TYPE geo_captures_total counter',
      `geo_captures_total ${this.captures}`,
      '# HELP geo_capture_flags_total Capture flags raised since start.',
      '# TYPE geo_capture_flags_total counter',
      ...[...this.captureFlags]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([flag, n]) => `geo_capture_flags_total{flag="${flag}"} ${n}`),
      '# HELP geo_sales_events_total sales.v1 events handled since start, by type and outcome.',
      '# TYPE geo_sales_events_total counter',
      ...[...this.salesEvents]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, n]) => {
          const [type, outcome] = key.split('|');
          return `geo_sales_events_total{type="${type}",outcome="${outcome}"} ${n}`;
        }),
    ];
    return `${lines.join('\n')}\n`;
  }
}
