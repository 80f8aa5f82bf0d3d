import { createHash } from 'node:crypto';
import type { SaleLineRow } from './eligibility.ts';

export const CHART_CSV_COLUMNS = [
  'retailer_account',
  'business_date',
  'record_type',
  'upc',
  'isrc',
  'zip',
  'country',
  'quantity',
  'net_price',
  'currency',
  'sold_at',
  'counted_at',
  'order_id',
  'order_line_id',
  'unit_index',
] as const;

function field(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** Net price with exactly two decimals, from the decimal string (never through a float). */
function price(value: string): string {
  const [whole = '0', fraction = ''] = value.split('.');
  return `${whole}.${fraction.padEnd(2, '0').slice(0, 2)}`;
}

const order = (a: SaleLineRow, b: SaleLineRow) =>
  (a.countedAt?.getTime() ?? 0) - (b.countedAt?.getTime() ?? 0) ||
  a.orderId.localeCompare(b.orderId) ||
  a.orderLineId.localeCompare(b.orderLineId) ||
  a.unitIndex - b.unitIndex ||
  a.kind.localeCompare(b.kind);

/**
 * A chart's daily file: one line per reportable unit movement (S = sale, R = return), in a total order on
 * stable fields, with no generation timestamp, so that regenerating an unchanged day gives the same bytes.
 * RFC 4180 (CRLF line ends), UTF-8, header line first.
 */
export function chartCsv(
  rows: readonly SaleLineRow[],
  options: { retailerAccount: string; businessDate: string },
): Buffer {
  const lines = [CHART_CSV_COLUMNS.join(',')];
  for (const row of [...rows].filter((r) => r.eligibility === 'eligible').sort(order)) {
    lines.push(
      [
        options.retailerAccount,
        options.businessDate,
        row.kind === 'sale' ? 'S' : 'R',
        row.upc ?? '',
        row.upc ? '' : (row.isrc ?? ''),
        row.zip ?? '',
        row.country ?? '',
        String(row.quantity),
        price(row.netPrice),
        row.currency,
        row.occurredAt.toISOString(),
        row.countedAt?.toISOString() ?? '',
        row.orderId,
        row.orderLineId,
        String(row.unitIndex),
      ]
        .map(field)
        .join(','),
    );
  }
  return Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
}

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
