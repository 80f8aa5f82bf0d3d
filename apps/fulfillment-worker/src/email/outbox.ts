import { Prisma } from '@single/db';
import { execute, type Runner } from '../support/db.ts';

/**
 * What a download email shows. It holds no link: the mailer opens each grant's sealed token when it sends
 * (download_grant.token_sealed, see DownloadTokens) and wipes it once no email needs it.
 */
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
export async function queueEmails(client: Runner, emails: readonly NewEmail[], now: Date): Promise<void> {
  if (emails.length === 0) return;
  // One JSON array parameter (serialised once, no array escaping); the NOTIFY rides along.
  await execute(
    client,
    Prisma.sql`WITH added AS (
       INSERT INTO email_message (idempotency_key, order_id, "to", kind, payload, next_attempt_at, created_at, status, last_error, error_class)
       SELECT e->>'idempotencyKey', (e->>'orderId')::uuid, coalesce(e->>'to', ''), e->>'kind', e->'payload',
              ${now}::timestamptz, ${now}::timestamptz,
              (CASE WHEN e->>'to' IS NULL THEN 'failed' ELSE 'pending' END)::email_status,
              CASE WHEN e->>'to' IS NULL THEN 'no_recipient' END, CASE WHEN e->>'to' IS NULL THEN 'no_recipient' END
       FROM jsonb_array_elements(${JSON.stringify(emails)}::jsonb) AS e
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING 1)
     SELECT pg_notify('email_message', '') FROM (SELECT count(*) FROM added) AS n`,
  );
  // An email that will never be sent needs no sealed token (a scheduled grant keeps its own for its next email).
  const unsent = emails.filter((e) => e.to === null).flatMap((e) => e.payload.items.flatMap((i) => i.grantIds));
  if (unsent.length > 0) {
    await execute(
      client,
      Prisma.sql`UPDATE download_grant SET token_sealed = NULL WHERE id = ANY(${unsent}::uuid[]) AND status <> 'scheduled'`,
    );
  }
}
