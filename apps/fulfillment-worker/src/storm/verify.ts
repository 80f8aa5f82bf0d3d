import type pg from 'pg';
import type { LoadOutcome } from './load.ts';
import { STORM_SHOP, type StormOrder } from './shopify-load.ts';
import type { SmtpRecorder } from './smtp-recorder.ts';

// What the storm checks after the drain, each as a row of the printed table: what was expected, what was
// found, and the first few offenders when they differ. Counted where the effect is seen from outside: what
// the SMTP server received, what Kafka holds, what the HTTP endpoints answered.

export interface Check {
  name: string;
  expected: string;
  actual: string;
  ok: boolean;
  detail?: string;
}

const sample = (items: readonly unknown[]) =>
  items.length === 0 ? undefined : `${items.length}: ${JSON.stringify(items.slice(0, 5))}`;

export function check(name: string, expected: unknown, actual: unknown, offenders: readonly unknown[] = []): Check {
  const ok = offenders.length === 0 && String(expected) === String(actual);
  const detail = sample(offenders);
  return { name, expected: String(expected), actual: String(actual), ok, ...(detail ? { detail } : {}) };
}

/** Message-ID of a received message (the mailer stores one per email row and sends it with every attempt). */
export const messageIdOf = (source: string) => /^Message-ID:\s*(\S+)/im.exec(source)?.[1];

/** The download tokens in the links of the received emails. */
export const tokensIn = (smtp: SmtpRecorder) =>
  new Set(
    smtp.received.flatMap((m) => [...m.source.matchAll(/\/d\/([A-Za-z0-9_-]{20,})/g)].map((x) => x[1] as string)),
  );

export function emailChecks(smtp: SmtpRecorder, outcome: LoadOutcome): Check[] {
  const byRecipient = new Map<string, number>();
  const byMessageId = new Map<string, number>();
  for (const mail of smtp.received) {
    for (const to of mail.to) byRecipient.set(to, (byRecipient.get(to) ?? 0) + 1);
    const id = messageIdOf(mail.source) ?? '(none)';
    byMessageId.set(id, (byMessageId.get(id) ?? 0) + 1);
  }
  const notOne = outcome.accepted
    .map((o) => ({ order: o.shopifyOrderId, to: o.email, received: byRecipient.get(o.email) ?? 0 }))
    .filter((r) => r.received !== 1);
  const strays = outcome.neverValid.filter((o) => byRecipient.has(o.email)).map((o) => o.email);
  const repeatedIds = [...byMessageId].filter(([, n]) => n > 1);
  return [
    check('emails received by SMTP, one per accepted order', outcome.accepted.length, smtp.received.length, notOne),
    check('same Message-ID received twice', 0, repeatedIds.length, repeatedIds),
    check('emails to orders never validly sent', 0, strays.length, strays),
  ];
}

export async function grantChecks(pool: pg.Pool, outcome: LoadOutcome): Promise<Check[]> {
  const { rows } = await pool.query<{ oid: string; shop: string; grants: number; revoked: number }>(
    `SELECT o.shopify_order_id::text AS oid, o.shop_domain AS shop, count(g.id)::int AS grants,
            (count(g.id) FILTER (WHERE g.status = 'revoked'))::int AS revoked
       FROM orders o JOIN order_line l ON l.order_id = o.id LEFT JOIN download_grant g ON g.order_line_id = l.id
      GROUP BY 1, 2`,
  );
  const found = new Map(rows.map((r) => [r.oid, r]));
  const refunded = new Set(outcome.refunded.map((o) => o.shopifyOrderId));
  const wrong = outcome.accepted.flatMap((o) => {
    const row = found.get(String(o.shopifyOrderId));
    const revoked = refunded.has(o.shopifyOrderId) ? o.quantity : 0;
    return row?.shop === STORM_SHOP && row.grants === o.quantity && row.revoked === revoked
      ? []
      : [{ order: o.shopifyOrderId, expected: o.quantity, row }];
  });
  const accepted = new Set(outcome.accepted.map((o) => String(o.shopifyOrderId)));
  const extra = rows.filter((r) => !accepted.has(r.oid) || r.shop !== STORM_SHOP);
  const units = outcome.accepted.reduce((n, o) => n + o.quantity, 0);
  const refundedUnits = outcome.refunded.reduce((n, o) => n + o.quantity, 0);
  const total = rows.reduce((n, r) => n + r.grants, 0);
  const revokedTotal = rows.reduce((n, r) => n + r.revoked, 0);
  return [
    check('grants: exactly each accepted order’s units', units, total, wrong),
    check('orders from redeliveries, replays, forgeries, bad signatures', 0, extra.length, extra),
    check('refunded orders: grants revoked', refundedUnits, revokedTotal),
  ];
}

export async function redactionChecks(pool: pg.Pool, outcome: LoadOutcome): Promise<Check[]> {
  const ids = outcome.redacted.map((o) => String(o.shopifyOrderId));
  const { rows } = await pool.query<{ oid: string }>(
    `SELECT shopify_order_id::text AS oid FROM orders
      WHERE shopify_order_id = ANY($1::bigint[]) AND (email IS NOT NULL OR browser_ip IS NOT NULL)`,
    [ids],
  );
  return [check('customers/redact: personal fields gone', 0, rows.length, rows)];
}

export interface SalesEvent {
  eventId: string;
  type: string;
  orderId: string;
  orderLineId: string;
  unitIndex?: number;
}

export function salesChecks(events: SalesEvent[], outcome: LoadOutcome): Check[] {
  const expected = new Set<string>();
  for (const o of outcome.accepted) for (let u = 0; u < o.quantity; u++) expected.add(`${o.lineId}/${u}/sale.recorded`);
  for (const o of outcome.refunded) for (let u = 0; u < o.quantity; u++) expected.add(`${o.lineId}/${u}/sale.reversed`);
  const seenIds = new Map<string, number>();
  const seenUnits = new Map<string, number>();
  for (const e of events) {
    seenIds.set(e.eventId, (seenIds.get(e.eventId) ?? 0) + 1);
    const unit = `${e.orderLineId}/${e.unitIndex ?? 0}/${e.type}`;
    seenUnits.set(unit, (seenUnits.get(unit) ?? 0) + 1);
  }
  const duplicateIds = [...seenIds].filter(([, n]) => n > 1);
  const duplicateUnits = [...seenUnits].filter(([, n]) => n > 1);
  const missing = [...expected].filter((u) => !seenUnits.has(u));
  const unexpected = [...seenUnits.keys()].filter((u) => !expected.has(u));
  return [
    check('sales.v1 events (recorded + reversed)', expected.size, events.length, [...missing, ...unexpected]),
    check('sales.v1 duplicate event ids', 0, duplicateIds.length, duplicateIds),
    check('sales.v1 units counted twice', 0, duplicateUnits.length, duplicateUnits),
  ];
}

/** Each log must show none of the secrets, tokens, emails or street addresses the storm sent. */
export function logChecks(
  logs: Map<string, string>,
  secrets: string[],
  sentOrders: StormOrder[],
  downloadTokens: ReadonlySet<string>,
): Check {
  const emails = new Set(sentOrders.map((o) => o.email));
  const streets = new Set(sentOrders.map((o) => o.street));
  const leaks: string[] = [];
  for (const [file, text] of logs) {
    for (const secret of secrets) if (text.includes(secret)) leaks.push(`${file}: a secret (${secret.slice(0, 4)}…)`);
    for (const m of text.matchAll(/[\w.+-]+@fans\.example/g)) if (emails.has(m[0])) leaks.push(`${file}: ${m[0]}`);
    for (const m of text.matchAll(/\d+ Stormwater Lane/g)) if (streets.has(m[0])) leaks.push(`${file}: ${m[0]}`);
    for (const m of text.matchAll(/[A-Za-z0-9_-]{32,}/g))
      if (downloadTokens.has(m[0])) leaks.push(`${file}: a download token`);
  }
  return check('logs with a secret, token, email or street address', 0, leaks.length, [...new Set(leaks)]);
}

export function formatTable(checks: Check[], facts: [string, string][]): string {
  const rows: string[][] = [
    ['check', 'expected', 'found', ''],
    ...checks.map((c) => [c.name, c.expected, c.actual, c.ok ? 'ok' : `FAIL${c.detail ? ` ${c.detail}` : ''}`]),
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  const line = (r: string[]) => r.map((cell, i) => (i < 3 ? cell.padEnd(widths[i] as number) : cell)).join(' | ');
  const factWidth = Math.max(...facts.map(([k]) => k.length));
  return [
    ...facts.map(([k, v]) => `${k.padEnd(factWidth)} : ${v}`),
    '',
    line(rows[0] as string[]),
    ...rows.slice(1).map(line),
  ].join('\n');
}
