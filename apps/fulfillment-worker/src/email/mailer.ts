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
  activate_at: Date;
}

/**
 * Sends the email outbox over SMTP. A row is claimed with a lease (so replicas and restarts never send it
 * concurrently), sent, then marked sent; failures climb the delay ladder and end as `failed`. The only
 * window for a duplicate is a crash between the SMTP server's acceptance and the mark, after the lease; the
 * Message-ID is derived from the idempotency key so receiving servers can still drop the copy.
 */
export class Mailer {
  readonly #o: Required<Omit<MailerOptions, 'now'>> & { now: () => Date };

  constructor(options: MailerOptions) {
    this.#o = { leaseMs: 120_000, batchSize: 20, now: () => new Date(), ...options };
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
    await Promise.all(rows.map((row) => this.#deliver(row)));
    return rows.length;
  }

  async #deliver(email: ClaimedEmail): Promise<void> {
    const { pool } = this.#o;
    try {
      const items = await this.#linkedItems(email.payload);
      if (items.length === 0) {
        // Every grant was revoked (refund or cancellation) before the email went out: nothing to send.
        await pool.query(`UPDATE email_message SET status = 'failed', last_error = 'grants_revoked' WHERE id = $1`, [
          email.id,
        ]);
        return;
      }
      const rendered = renderDownloadEmail(email.payload, items);
      const messageHash = createHash('sha256').update(email.idempotency_key).digest('hex').slice(0, 32);
      await this.#o.transport.sendMail({
        from: this.#o.from,
        to: email.to,
        ...rendered,
        messageId: `<${messageHash}@single.email>`,
        headers: { 'X-Single-Email-Kind': email.kind },
      });
      await pool.query(`UPDATE email_message SET status = 'sent', sent_at = $2, last_error = NULL WHERE id = $1`, [
        email.id,
        this.#o.now(),
      ]);
    } catch (err) {
      const delay = this.#o.retryDelaysMs[email.attempts - 1];
      const message = err instanceof Error ? `${err.name}: ${err.message}`.slice(0, 500) : String(err);
      await pool.query(
        `UPDATE email_message SET status = $2::email_status, next_attempt_at = $3, last_error = $4 WHERE id = $1`,
        [
          email.id,
          delay === undefined ? 'failed' : 'pending',
          new Date(this.#o.now().getTime() + (delay ?? 0)),
          message,
        ],
      );
    }
  }

  /** Items with a link per grant still active (revoked ones drop out), or the date for those scheduled. */
  async #linkedItems(payload: DownloadEmailPayload): Promise<LinkedItem[]> {
    const ids = payload.items.flatMap((i) => i.grantIds);
    const { rows } = await this.#o.pool.query<GrantRow>(
      'SELECT id, token_hash, status, activate_at FROM download_grant WHERE id = ANY($1::uuid[])',
      [ids],
    );
    const grants = new Map(rows.map((g) => [g.id, g]));
    const base = this.#o.downloadBaseUrl.replace(/\/$/, '');
    const items: LinkedItem[] = [];
    for (const item of payload.items) {
      const live = item.grantIds
        .map((id) => grants.get(id))
        .filter((g) => g && g.status !== 'revoked' && g.status !== 'expired');
      if (live.length === 0) continue;
      const artworkUrl = `${base}/releases/${item.releaseId}/artwork`;
      if (live.every((g) => g!.status === 'scheduled')) {
        items.push({ title: item.title, artworkUrl, links: [], availableAt: live[0]!.activate_at });
        continue;
      }
      const links = live.flatMap((g) => {
        const token = this.#o.tokens.recover(g!.id, g!.token_hash);
        return token ? [`${base}/d/${token}`] : [];
      });
      if (links.length === 0) throw new Error('no configured secret derives the stored token hashes');
      items.push({ title: item.title, artworkUrl, links, availableAt: null });
    }
    return items;
  }
}
