import { describe, expect, it } from 'vitest';
import { IntegrityWindow } from './integrity-window.ts';
import { Metrics } from './metrics.ts';

function clock(start = 1_000_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('IntegrityWindow (header-stripping alarm)', () => {
  it('reports the share of xff_missing and peer_untrusted captures and turns degraded above the threshold', () => {
    const time = clock();
    const window = new IntegrityWindow({ windowSeconds: 60, threshold: 0.1, minSamples: 10, now: time.now });
    for (let i = 0; i < 18; i++) window.record([]);
    window.record(['xff_missing']);
    window.record(['peer_untrusted', 'xff_ignored']);
    expect(window.snapshot()).toMatchObject({ status: 'ok', captures: 20, flagged: 2, share: 0.1 });
    window.record(['xff_missing']);
    expect(window.snapshot()).toMatchObject({
      status: 'degraded',
      captures: 21,
      flagged: 3,
      byFlag: { xff_missing: 2, peer_untrusted: 1 },
    });
  });

  it('does not count other flags as header loss', () => {
    const window = new IntegrityWindow({ windowSeconds: 60, threshold: 0, minSamples: 1 });
    window.record(['malformed_entry', 'multiple_header_lines', 'geo_unavailable']);
    expect(window.snapshot()).toMatchObject({ status: 'ok', flagged: 0, share: 0 });
  });

  it('forgets captures older than the window and says so when there is too little data', () => {
    const time = clock();
    const window = new IntegrityWindow({ windowSeconds: 10, threshold: 0.5, minSamples: 3, now: time.now });
    for (let i = 0; i < 5; i++) window.record(['xff_missing']);
    expect(window.snapshot().status).toBe('degraded');
    time.advance(5_000);
    window.record([]);
    expect(window.snapshot()).toMatchObject({ captures: 6, flagged: 5 });
    time.advance(5_000); // the first second has slid out
    expect(window.snapshot()).toMatchObject({ captures: 1, flagged: 0, status: 'insufficient_data' });
    time.advance(60_000);
    expect(window.snapshot()).toMatchObject({ captures: 0, share: null, status: 'insufficient_data' });
  });

  it('renders the ratio and the degraded gauge as Prometheus metrics', async () => {
    const window = new IntegrityWindow({ windowSeconds: 60, threshold: 0.2, minSamples: 1 });
    const metrics = new Metrics();
    for (const flags of [['xff_missing'], []]) {
      window.record(flags);
      metrics.countCapture(flags);
    }
    const text = await metrics.render(window.snapshot());
    expect(text).toContain('geo_capture_header_loss_ratio{window_seconds="60"} 0.5');
    expect(text).toContain('geo_capture_integrity_degraded 1');
    expect(text).toContain('geo_capture_flags_total{flag="xff_missing"} 1');
    expect(text).toContain('geo_captures_total 2');
  });
});
