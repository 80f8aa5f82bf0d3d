import type { Sql } from '../support/db.ts';

/** What a download email shows; links are derived from the grant ids when it is sent (see DownloadTokens). */
export interface DownloadEmailPayload {
  orderName: string;
  items: {
    releaseId: string;
    title: string;
    grantIds: string[];
    /** ISO instant; in the future for a pre-order announced now and delivered later. */
    availableAt: string;
  }[];
}

export type EmailKind = 'order_downloads' | 'preorder_available';

export interface NewEmail {
  /** Unique: the same email can be queued any number of times and is stored (and sent) once. */
  idempotencyKey: string;
  orderId: string;
  to: string | null;
  kind: EmailKind;
  payload: DownloadEmailPayload;
}

/**
 * Queues emails in the caller's transaction and wakes the mailer on commit. Without a recipient (Shopify
 * redacts emails for apps without protected-data approval) the row is stored as failed, so the dashboard
 * shows why the fan got nothing.
 */
export async function queueEmails(client: Sql, emails: readonly NewEmail[], now: Date): Promise<void> {
  if (emails.length === 0) return;
  await client.query(
    `INSERT INTO email_message (idempotency_key, order_id, "to", kind, payload, next_attempt_at, created_at, status, last_error)
     SELECT k, o, coalesce(t, ''), kind, p, $6, $6,
            (CASE WHEN t IS NULL THEN 'failed' ELSE 'pending' END)::email_status,
            CASE WHEN t IS NULL THEN 'no_recipient' END
     FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::jsonb[]) AS e(k, o, t, kind, p)
     ON CONFLICT (idempotency_key) DO NOTHING`,
    [
      emails.map((e) => e.idempotencyKey),
      emails.map((e) => e.orderId),
      emails.map((e) => e.to),
      emails.map((e) => e.kind),
      emails.map((e) => JSON.stringify(e.payload)),
      now,
    ],
  );
  await client.query(`SELECT pg_notify('email_message', '')`);
}
