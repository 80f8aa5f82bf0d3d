// The reason codes of units sold but not reported (DOMAIN.md), in words.
const REASONS: Record<string, string> = {
  below_floor: 'Below the price floor',
  bulk_capped: 'One unit per fan (bulk buying)',
  not_redeemed: 'Not downloaded yet',
  out_of_territory: 'Outside the release’s territories',
  test_order: 'Test order',
  refunded: 'Refunded',
  no_product_code: 'No UPC or ISRC',
  no_rules: 'No chart rules in force',
  not_fan_pack: 'Merch bundle not approved as a fan pack',
  free_unit: 'Given away (net 0)',
  upc_not_owned: 'UPC owned by another release',
  upc_under_review: 'UPC ownership under review',
};
export const reasonLabel = (code: string) => REASONS[code] ?? code;
