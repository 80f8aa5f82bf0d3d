/** Flags that mean our proxies stopped passing the client address (header stripped, or traffic bypassing them). */
export const HEADER_LOSS_FLAGS = ['xff_missing', 'peer_untrusted'] as const;

export type IntegrityStatus = 'ok' | 'degraded' | 'insufficient_data';

export interface IntegritySnapshot {
  status: IntegrityStatus;
  windowSeconds: number;
  threshold: number;
  minSamples: number;
  captures: number;
  flagged: number;
  /** Captures refused by the per-client limiter (429) over the window, counted in `captures` too. */
  limited: number;
  /**
   * flagged / the captures that count, over the window; null without any. A capture refused by the limiter
   * counts only when it is header-less: one greedy client's refused captures must not drown real header loss.
   */
  share: number | null;
  byFlag: { xff_missing: number; peer_untrusted: number };
}

export interface IntegrityWindowOptions {
  windowSeconds: number;
  threshold: number;
  minSamples: number;
  now?: () => number;
}

/**
 * Sliding window of capture outcomes in one-second buckets (a ring of `windowSeconds` slots): O(1) per capture,
 * O(window) per read. Per replica: each replica sees its share of the traffic through the same proxies.
 */
export class IntegrityWindow {
  private readonly total: Uint32Array;
  private readonly missing: Uint32Array;
  private readonly untrusted: Uint32Array;
  private readonly refused: Uint32Array;
  /** Refused captures of a resolved client (no header-loss flag): left out of the share. */
  private readonly refusedResolved: Uint32Array;
  private readonly second: Float64Array;
  private readonly options: Required<IntegrityWindowOptions>;

  constructor(options: IntegrityWindowOptions) {
    this.options = { now: Date.now, ...options };
    const slots = options.windowSeconds;
    this.total = new Uint32Array(slots);
    this.missing = new Uint32Array(slots);
    this.untrusted = new Uint32Array(slots);
    this.refused = new Uint32Array(slots);
    this.refusedResolved = new Uint32Array(slots);
    this.second = new Float64Array(slots).fill(-1);
  }

  /**
   * One capture request, recorded before the rate limiter decides (`limited`: it refused it). Counting
   * after the limiter hid header loss: header-less captures share one bucket per proxy pod, so most of them
   * were refused and never counted, and the alarm stayed "ok" while captures were lost.
   */
  record(flags: readonly string[], limited = false): void {
    const second = Math.floor(this.options.now() / 1000);
    const slot = second % this.options.windowSeconds;
    if (this.second[slot] !== second) {
      this.second[slot] = second;
      this.total[slot] = 0;
      this.missing[slot] = 0;
      this.untrusted[slot] = 0;
      this.refused[slot] = 0;
      this.refusedResolved[slot] = 0;
    }
    this.total[slot]! += 1;
    const missing = flags.includes('xff_missing');
    const untrusted = flags.includes('peer_untrusted');
    if (missing) this.missing[slot]! += 1;
    if (untrusted) this.untrusted[slot]! += 1;
    if (limited) {
      this.refused[slot]! += 1;
      if (!missing && !untrusted) this.refusedResolved[slot]! += 1;
    }
  }

  snapshot(): IntegritySnapshot {
    const { windowSeconds, threshold, minSamples } = this.options;
    const now = Math.floor(this.options.now() / 1000);
    let captures = 0;
    let xffMissing = 0;
    let peerUntrusted = 0;
    let limited = 0;
    let limitedResolved = 0;
    for (let slot = 0; slot < windowSeconds; slot++) {
      const second = this.second[slot]!;
      if (second < 0 || now - second >= windowSeconds) continue;
      captures += this.total[slot]!;
      xffMissing += this.missing[slot]!;
      peerUntrusted += this.untrusted[slot]!;
      limited += this.refused[slot]!;
      limitedResolved += this.refusedResolved[slot]!;
    }
    // A capture carries at most one of the two flags (trusted-proxy raises xff_missing only for trusted peers).
    const flagged = xffMissing + peerUntrusted;
    // Header-less captures count whether refused or not (they share one bucket per proxy pod, so most are
    // refused); a resolved client's refused captures do not, or one flood would dilute the share below the
    // threshold and hide real header loss.
    const counted = captures - limitedResolved;
    const share = counted === 0 ? null : flagged / counted;
    const status: IntegrityStatus =
      counted < minSamples ? 'insufficient_data' : (share ?? 0) > threshold ? 'degraded' : 'ok';
    return {
      status,
      windowSeconds,
      threshold,
      minSamples,
      captures,
      flagged,
      limited,
      share,
      byFlag: { xff_missing: xffMissing, peer_untrusted: peerUntrusted },
    };
  }
}
