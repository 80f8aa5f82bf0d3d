import { createHash } from 'node:crypto';
import { inCurrency } from '@single/contracts';
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

/**
 * Net price with exactly the currency's ISO 4217 digits (USD 7.49, JPY 1200, KWD 1.234, CLF 0.0125), from the
 * decimal string in exact minor units (never through a float, never cut to two decimals).
 */
const price = (value: string, currency: string) => inCurrency(value, currency);

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
        price(row.netPrice, row.currency),
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
