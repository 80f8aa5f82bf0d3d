import { z } from 'zod';

const money = z.string().regex(/^\d+(\.\d{1,4})?$/, 'decimal string');

/**
 * One version of a chart's rules, stored as data in chart_rule_set (chart, version, effective_from, rules).
 * A unit is judged by the version in force at the instant it counts.
 */
export const chartRulesSchema = z.object({
  /** The chart's business day and week are in this zone. */
  timeZone: z.string().min(1),
  /** ISO country codes the chart covers; a unit located elsewhere is out_of_territory (unknown place: kept). */
  territories: z.array(z.string().regex(/^[A-Z]{2}$/)).min(1),
  /** Minimum net unit price per format and currency; a currency without a floor is not reportable. */
  priceFloors: z.object({ album: z.record(z.string(), money), track: z.record(z.string(), money) }),
  /** Digital counts once paid, delivered and downloaded (first redemption). */
  requireRedemption: z.boolean(),
  /** One unit per UPC/ISRC per fan, ever, for digital. */
  onePerFanDigital: z.boolean(),
  /**
   * How a fan is recognised by IP (src/charts/fan-identity.ts): an IP links two units only together with the same
   * billing or shipping ZIP and country, for purchases at most this many hours apart. Absent or 0: never.
   */
  ipMatchWindowHours: z.number().int().min(0).max(720).optional(),
  excludeTestOrders: z.boolean(),
  refundsAsReturns: z.boolean(),
});
export type ChartRules = z.infer<typeof chartRulesSchema>;

export interface ChartRuleSet {
  chart: string;
  version: number;
  effectiveFrom: Date;
  rules: ChartRules;
}

/** The version in force at `at`: the latest effective_from not after it. */
export function rulesAt(ruleSets: readonly ChartRuleSet[], at: Date): ChartRuleSet | undefined {
  let best: ChartRuleSet | undefined;
  for (const set of ruleSets) {
    if (set.effectiveFrom.getTime() <= at.getTime() && (!best || set.effectiveFrom > best.effectiveFrom)) best = set;
  }
  return best;
}

/** Seeded into chart_rule_set when a chart has no version yet; later versions are added as new rows. */
export const LUMINATE_V1: ChartRuleSet = {
  chart: 'luminate',
  version: 1,
  effectiveFrom: new Date('2020-01-01T05:00:00.000Z'),
  rules: {
    timeZone: 'America/New_York',
    territories: ['US', 'CA'],
    priceFloors: { album: { USD: '3.49', CAD: '4.99' }, track: { USD: '0.39', CAD: '0.49' } },
    requireRedemption: true,
    onePerFanDigital: true,
    excludeTestOrders: true,
    refundsAsReturns: true,
  },
};

/**
 * Luminate v2: a fan buying again without an email (redacted payloads) is still recognised by IP + ZIP within
 * 24 hours. v1 has no window, so under it an IP never links two units (v1 was once read as "any shared IP, for
 * ever", which capped every fan behind a carrier-grade NAT or campus address after the first).
 * From 00:00 New York on Friday 2026-12-04, the start of a chart week.
 */
export const LUMINATE_V2: ChartRuleSet = {
  chart: 'luminate',
  version: 2,
  effectiveFrom: new Date('2026-12-04T05:00:00.000Z'),
  rules: { ...LUMINATE_V1.rules, ipMatchWindowHours: 24 },
};

/** The versions this code ships, seeded in order (see seedChartRules). */
export const LUMINATE_VERSIONS: readonly ChartRuleSet[] = [LUMINATE_V1, LUMINATE_V2];
