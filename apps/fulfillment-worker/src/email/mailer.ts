import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import type { DownloadTokens } from '../grants/tokens.ts';
import type { DownloadEmailPayload } from './outbox.ts';
import { type LinkedItem, renderDownloadEmail } from './render.ts';

/** The slice of a nodemailer transport the mailer uses (tests pass a real one pointed at smtp-server). */
export interface MailTransport {
  sendMail(message: {
    from: string;
    to: string;
    subject: string;
    text: string;
    html: string;
    messageId: string;
    headers?: Record<string, string>;
  }): Promise<unknown>;
}

export interface MailerOptions {
  pool: Pool;
  transport: MailTransport;
  tokens: DownloadTokens;
  from: string;
  downloadBaseUrl: string;
  /** Wait before attempt n+1 after a failure; after the last step the email is marked failed. */
  retryDelaysMs: readonly number[];
  /** A claimed email is retried after this long if its sender died mid-send. Default 2 min. */
  leaseMs?: number;
  batchSize?: number;
  now?: () => Date;
}

interface ClaimedEmail {
  id: string;
  idempotency_key: string;
  to: string;
  kind: string;
  payload: DownloadEmailPayload;
  attempts: number;
}

interface GrantRow {
  id: string;
  token_hash: string;
  status: string;
  /** When the grant opens, from the catalogue as it is now (a re-timed release shows its new date). */
  opens_at: Date;
  /** A release grant's tracks out before the release ("instant grat"), by instant. */
  early: { title: string; at: string }[];
}

/** What happened to one claimed email; recorded for the whole batch in one statement. */
interface Outcome {
  id: string;
  status: 'sent' | 'pending' | 'failed';
  sentAt: Date | null;
  nextAttemptAt: Date | null;
  error: string | null;
}

/**
 * Sends the email outbox over SMTP. A batch of rows is claimed with a lease (so replicas and restarts never
 * send them concurrently), their grants are read in one query, the emails go out concurrently (a pooled
 * transport reuses its SMTP connections), and the outcomes are recorded in one statement; failures climb
 * the delay ladder and end as `failed`. The only window for a duplicate is a crash between the SMTP
 * server's acceptance and that record, after the lease; the Message-ID is derived from the idempotency key
 * so receiving servers can still drop the copy.
 */
export class Mailer {
  readonly #o: Required<Omit<MailerOptions, 'now'>> & { now: () => Date };

  constructor(options: MailerOptions) {
    this.#o = { leaseMs: 120_000, batchSize: 50, now: () => new Date(), ...options };
  }

  /** Sends what is due; returns how many emails it handled. */
  async tick(): Promise<number> {
    const now = this.#o.now();
    const { rows } = await this.#o.pool.query<ClaimedEmail>(
      `UPDATE email_message SET attempts = attempts + 1, next_attempt_at = $2
       WHERE id IN (SELECT id FROM email_message WHERE status = 'pending' AND next_attempt_at <= $1
                    ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
       RETURNING id, idempotency_key, "to", kind, payload, attempts`,
      [now, new Date(now.getTime() + this.#o.leaseMs), this.#o.batchSize],
    );
    if (rows.length === 0) return 0;
    const grants = await this.#grants(rows.flatMap((row) => row.payload.items.flatMap((i) => i.grantIds)));
    const outcomes = await Promise.all(rows.map((row) => this.#deliver(row, grants)));
    await this.#o.pool.query(
      `UPDATE email_message m SET status = o.status::email_status, sent_at = coalesce(o.sent_at, m.sent_at),
         next_attempt_at = coalesce(o.next_attempt_at, m.next_attempt_at), last_error = o.error
       FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::text[])
         AS o(id, status, sent_at, next_attempt_at, error)
       WHERE m.id = o.id`,
      [
        outcomes.map((o) => o.id),
        outcomes.map((o) => o.status),
        outcomes.map((o) => o.sentAt),
        outcomes.map((o) => o.nextAttemptAt),
        outcomes.map((o) => o.error),
      ],
    );
    return rows.length;
  }

  async #deliver(email: ClaimedEmail, grants: Map<string, GrantRow>): Promise<Outcome> {
    const outcome = { id: email.id, sentAt: null, nextAttemptAt: null, error: null };
    try {
      const items = this.#linkedItems(email.payload, grants);
      // Every grant was revoked (refund or cancellation) before the email went out: nothing to send.
      if (items.length === 0) return { ...outcome, status: 'failed', error: 'grants_revoked' };
      const rendered = renderDownloadEmail(email.payload, items);
      const messageHash = createHash('sha256').update(email.idempotency_key).digest('hex').slice(0, 32);
      await this.#o.transport.sendMail({
        from: this.#o.from,
        to: email.to,
        ...rendered,
        messageId: `<${messageHash}@single.email>`,
        headers: { 'X-Single-Email-Kind': email.kind },
      });
      return { ...outcome, status: 'sent', sentAt: this.#o.now() };
    } catch (err) {
      const delay = this.#o.retryDelaysMs[email.attempts - 1];
      return {
        ...outcome,
        status: delay === undefined ? 'failed' : 'pending',
        nextAttemptAt: new Date(this.#o.now().getTime() + (delay ?? 0)),
        error: err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 500) : String(err),
      };
    }
  }

  async #grants(ids: readonly string[]): Promise<Map<string, GrantRow>> {
    const { rows } = await this.#o.pool.query<GrantRow>(
      `SELECT g.id, g.token_hash, g.status, coalesce(t.release_instant, r.release_instant) AS opens_at,
              CASE WHEN g.track_id IS NULL THEN coalesce(
                (SELECT json_agg(json_build_object('title', e.title, 'at', e.release_instant) ORDER BY e.release_instant, e.position)
                 FROM track e WHERE e.release_id = g.release_id AND e.release_instant < r.release_instant), '[]')
              ELSE '[]' END AS early
       FROM download_grant g JOIN release r ON r.id = g.release_id LEFT JOIN track t ON t.id = g.track_id
       WHERE g.id = ANY($1::uuid[])`,
      [ids],
    );
    return new Map(rows.map((g) => [g.id, g]));
  }

  /**
   * Items with a link per grant still live (revoked ones drop out). A pre-order shows its date (derived
   * from the catalogue now, so a re-timed release shows the new one) and, when tracks of it come out before
   * the release ("instant grat"), those tracks with their dates and the link already: the link serves each
   * file from its own instant, so the order email is where the fan learns what is out and when the rest is.
   */
  #linkedItems(payload: DownloadEmailPayload, grants: Map<string, GrantRow>): LinkedItem[] {
    const base = this.#o.downloadBaseUrl.replace(/\/$/, '');
    const now = this.#o.now();
    const items: LinkedItem[] = [];
    for (const item of payload.items) {
      const live = item.grantIds
        .map((id) => grants.get(id))
        .filter((g): g is GrantRow => !!g && g.status !== 'revoked' && g.status !== 'expired');
      if (live.length === 0) continue;
      const artworkUrl = `${base}/releases/${item.releaseId}/artwork`;
      const first = live[0]!;
      const preorder = live.every((g) => g.status === 'scheduled');
      const early = preorder
        ? first.early.map((e) => ({ title: e.title, availableAt: new Date(e.at), out: new Date(e.at) <= now }))
        : [];
      if (preorder && early.length === 0) {
        items.push({ title: item.title, artworkUrl, links: [], availableAt: first.opens_at, early });
        continue;
      }
      const links = live.flatMap((g) => {
        const token = this.#o.tokens.recover(g.id, g.token_hash);
        return token ? [`${base}/d/${token}`] : [];
      });
      if (links.length === 0) throw new Error('no configured secret derives the stored token hashes');
      items.push({ title: item.title, artworkUrl, links, availableAt: preorder ? first.opens_at : null, early });
    }
    return items;
  }
}
