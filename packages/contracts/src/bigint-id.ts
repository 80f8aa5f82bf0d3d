/**
 * The id when it is a bigint exactly as PostgreSQL prints one (optional minus, no leading zeros, no plus, in
 * int64's range), else null. A column is compared as bigint, never cast to text: `shopify_order_id::text = $1`
 * cannot use the column's index and scans the table; and only an id written as the column prints it could
 * have matched that comparison, so an id this refuses matches nothing either way.
 */
export function bigintIdOrNull(id: string): string | null {
  if (!/^-?[1-9]\d{0,18}$|^0$/.test(id)) return null;
  return String(BigInt.asIntN(64, BigInt(id))) === id ? id : null;
}
