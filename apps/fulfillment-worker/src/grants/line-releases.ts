import type { ReleaseTerms } from './plan.ts';

/** One product mapping of the shop, as the worker matches it against order lines. */
export interface MappingRow {
  productId: string | null;
  variantId: string | null;
  sku: string | null;
  reportedRelease: boolean;
  /** A merch bundle of this mapping is pre-approved as a fan pack (counts for charts). */
  fanPack: boolean;
  /** A track sale: the product is this one track of the release (its own instant, if it has one). */
  track: { id: string; isrc: string; releaseInstant: Date | null } | null;
  terms: ReleaseTerms;
}

/** A release the line grants (every release of a bundle is granted and delivered). */
export interface LineRelease {
  terms: ReleaseTerms;
  /** The grant serves only this track (a track sale), and opens at its instant; null = the whole release. */
  track: { id: string; releaseInstant: Date | null } | null;
}

/** The one release each unit of the line reports to charts, with what the chart needs to judge it. */
export interface ReportedRelease {
  releaseId: string;
  upc: string;
  /** Set for a track sale: the unit reports this ISRC and no UPC. */
  isrc: string | null;
  fanPack: boolean;
}

/**
 * A line's releases and its one reported release.
 *
 * Matching, most specific first: the line's variant, else its SKU, else its product (a mapping that names
 * only a product, no variant and no SKU: the label mapped the whole product). Only the first level that
 * matches is used. None means unmapped (recorded, nothing granted or reported).
 *
 * The reported release: the matched mapping marked `reportedRelease`. The API keeps exactly one marked per
 * product group, but if none or several are (mappings made at different times, a level with several
 * groups), the earliest-created of the marked ones wins, else the earliest-created mapping: `mappings` come
 * in creation order (created_at, id), so the choice is the same on every snapshot and every replica.
 */
export function releasesForLine(
  line: { productId: string | null; variantId: string | null; sku: string | null },
  mappings: readonly MappingRow[],
): { releases: LineRelease[]; reported: ReportedRelease | null } {
  let matched = line.variantId ? mappings.filter((m) => m.variantId === line.variantId) : [];
  if (matched.length === 0 && line.sku) matched = mappings.filter((m) => m.sku === line.sku);
  if (matched.length === 0 && line.productId)
    matched = mappings.filter((m) => m.productId === line.productId && m.variantId === null && m.sku === null);
  const byRelease = new Map<string, MappingRow>();
  for (const m of matched) if (!byRelease.has(m.terms.releaseId)) byRelease.set(m.terms.releaseId, m);
  const unique = [...byRelease.values()];
  const chosen = unique.find((m) => m.reportedRelease) ?? unique[0];
  return {
    releases: unique.map((m) => ({
      terms: m.terms,
      track: m.track ? { id: m.track.id, releaseInstant: m.track.releaseInstant } : null,
    })),
    reported: chosen
      ? {
          releaseId: chosen.terms.releaseId,
          upc: chosen.terms.upc,
          isrc: chosen.track?.isrc ?? null,
          fanPack: chosen.fanPack,
        }
      : null,
  };
}
