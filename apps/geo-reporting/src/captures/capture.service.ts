import type { Logger } from '@single/logger';
import { type ClientIpResult, type HeaderSource, resolveClientIp, type TrustedProxies } from '@single/trusted-proxy';
import type { GeoIp } from '../geoip/geoip.ts';
import { NOWHERE, type Place } from '../geoip/record.ts';
import type { IntegrityWindow } from '../integrity/integrity-window.ts';
import type { Metrics } from '../integrity/metrics.ts';

export interface GeoCaptureRecord extends Place {
  shopDomain: string;
  checkoutToken: string;
  clientIp: string | null;
  /** [socket peer, each walked header element...] as resolved by @single/trusted-proxy. */
  chain: string[];
  /** Client-IP flags then GeoIP flags; what a missing or odd header did to this capture. */
  flags: string[];
  geoDbBuildDate: string | null;
  capturedAt: Date;
}

export interface CaptureStore {
  save(record: GeoCaptureRecord): Promise<void>;
}

/** The socket peer and the forwarding header lines exactly as received (never fastify's req.ip). */
export interface RawClientAddress {
  remoteAddress: string | undefined;
  headers: Record<string, string[]>;
}

/** Forwarding header lines from Node's rawHeaders: one array entry per line, so that duplicates stay visible. */
export function forwardingHeaderLines(rawHeaders: readonly string[]): Record<string, string[]> {
  const lines: Record<string, string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    // Cheap length test first: most headers are neither.
    if (name.length !== 15 && name.length !== 9) continue;
    const lower = name.toLowerCase();
    if (lower !== 'x-forwarded-for' && lower !== 'forwarded') continue;
    lines[lower] ??= [];
    lines[lower].push(rawHeaders[i + 1]!);
  }
  return lines;
}

export interface CaptureServiceDeps {
  trusted: TrustedProxies;
  headerSource: HeaderSource;
  geo: GeoIp;
  store: CaptureStore;
  integrity: IntegrityWindow;
  metrics: Metrics;
  logger: Logger;
  now?: () => Date;
}

export class CaptureService {
  private readonly deps: CaptureServiceDeps;
  private readonly now: () => Date;

  constructor(deps: CaptureServiceDeps) {
    this.deps = deps;
    this.now = deps.now ?? (() => new Date());
  }

  resolve(address: RawClientAddress): ClientIpResult {
    return resolveClientIp(address, this.deps.trusted, { headerSource: this.deps.headerSource });
  }

  /**
   * Every capture request, before the rate limiter decides: the header-stripping alarm must see the captures
   * it refuses (`limited`), or header loss hides itself (header-less captures share one bucket per proxy).
   */
  observe(resolved: ClientIpResult, limited: boolean): void {
    this.deps.integrity.record(resolved.flags, limited);
    if (limited) this.deps.metrics.countLimited();
  }

  /** Locates and stores one capture (already observed by the route); settles once it is stored. Header problems never fail it: they become flags. */
  capture(body: { shopDomain: string; checkoutToken: string }, resolved: ClientIpResult): Promise<void> {
    const geo = resolved.clientIp === null ? null : this.deps.geo.lookup(resolved.clientIp);
    const flags: string[] =
      geo !== null && geo.flags.length > 0 ? [...resolved.flags, ...geo.flags] : resolved.flags.slice();
    const place = geo?.place ?? NOWHERE;
    // Field by field rather than spreading the place in: this runs on every capture.
    const record: GeoCaptureRecord = {
      shopDomain: body.shopDomain,
      checkoutToken: body.checkoutToken,
      clientIp: resolved.clientIp,
      chain: resolved.chain,
      flags,
      precision: place.precision,
      country: place.country,
      region: place.region,
      city: place.city,
      postal: place.postal,
      latitude: place.latitude,
      longitude: place.longitude,
      accuracyRadiusKm: place.accuracyRadiusKm,
      geoDbBuildDate: geo?.dbBuildDate ?? null,
      capturedAt: this.now(),
    };
    this.deps.metrics.countCapture(flags);
    return this.deps.store.save(record);
  }
}
