import { createHash } from 'node:crypto';
import type { Logger } from '@single/logger';
import type { Pool, PoolClient } from 'pg';
import type { DownloadTokens } from '../grants/tokens.ts';
import type { DownloadEmailPayload } from './outbox.ts';
import { type LinkedItem, renderDownloadEmail } from './render.ts';
import { formatSmtpError, scrubSmtpError } from './smtp-error.ts';

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
  /** Failed sends are logged with ids and the scrubbed error only (never the SMTP reply: it quotes the fan). */
  logger?: Pick<Logger, 'warn'>;
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
  /** The link's token sealed with DOWNLOAD_TOKEN_SECRETS until its last email is sent (grants/tokens.ts). */
  token_sealed: string | null;
  status: string;
  /** When the grant opens, from the catalogue as it is now (a re-timed release shows its new date). */
  opens_at: Date;
  /** A release grant's tracks out before the release ("instant grat"), by instant. */
  early: { title: string; at: string }[];
  /** When a sent email first carried its link: never re-issued after that (it would break the fan's copy). */
  link_sent_at: Date | null;
}

/** What happened to one claimed email; recorded for the whole batch in one statement. */
interface Outcome {
  id: string;
  status: 'sent' | 'pending' | 'failed';
  sentAt: Date | null;
  nextAttemptAt: Date | null;
  error: string | null;
  /** The grants whose links the email carried (when sent). */
  linked?: readonly string[];
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
  readonly #o: Required<Omit<MailerOptions, 'now' | 'logger'>> & { now: () => Date; logger?: MailerOptions['logger'] };

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
    await this.#reissueLost(grants);
    const outcomes = await Promise.all(rows.map((row) => this.#deliver(row, grants)));
    // One transaction: the outcomes, and the sealed tokens no email will need any more wiped with them.
    const client = await this.#o.pool.connect();
    try {
      await client.query('BEGIN');
      await this.#record(client, outcomes);
      await this.#markLinksSent(client, outcomes);
      await this.#wipeTokens(client, rows, outcomes);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    return rows.length;
  }

  async #record(client: PoolClient, outcomes: readonly Outcome[]): Promise<void> {
    await client.query(
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
  }

  /** The links a sent email carried are in the fan's mailbox now: from here on they are never re-issued. */
  async #markLinksSent(client: PoolClient, outcomes: readonly Outcome[]): Promise<void> {
    const linked = outcomes.flatMap((o) => (o.status === 'sent' ? (o.linked ?? []) : []));
    if (linked.length === 0) return;
    await client.query(
      'UPDATE download_grant SET link_sent_at = coalesce(link_sent_at, $2) WHERE id = ANY($1::uuid[])',
      [linked, this.#o.now()],
    );
  }

  /**
   * Once an email is settled (sent, or failed for good), its grants' sealed tokens go: from then on the link
   * exists only in the fan's mailbox and as a hash here. A scheduled grant (a pre-order) keeps its sealed token
   * for its "it's here" email at the release instant, which is the one that wipes it.
   */
  async #wipeTokens(client: PoolClient, emails: readonly ClaimedEmail[], outcomes: readonly Outcome[]): Promise<void> {
    const settled = new Set(outcomes.filter((o) => o.status !== 'pending').map((o) => o.id));
    const grantIds = emails.filter((e) => settled.has(e.id)).flatMap((e) => e.payload.items.flatMap((i) => i.grantIds));
    if (grantIds.length === 0) return;
    await client.query(
      `UPDATE download_grant SET token_sealed = NULL
       WHERE id = ANY($1::uuid[]) AND status <> 'scheduled' AND token_sealed IS NOT NULL`,
      [grantIds],
    );
  }

  async #deliver(email: ClaimedEmail, grants: Map<string, GrantRow>): Promise<Outcome> {
    const outcome = { id: email.id, sentAt: null, nextAttemptAt: null, error: null };
    try {
      const linked: string[] = [];
      const items = this.#linkedItems(email.payload, grants, linked);
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
      return { ...outcome, status: 'sent', sentAt: this.#o.now(), linked };
    } catch (err) {
      const delay = this.#o.retryDelaysMs[email.attempts - 1];
      // The error's message is the server's reply, which quotes the recipient: only its codes are kept.
      const scrubbed = scrubSmtpError(err);
      this.#o.logger?.warn(
        { emailId: email.id, kind: email.kind, attempts: email.attempts, smtp: scrubbed, retry: delay !== undefined },
        'email not sent',
      );
      return {
        ...outcome,
        status: delay === undefined ? 'failed' : 'pending',
        nextAttemptAt: new Date(this.#o.now().getTime() + (delay ?? 0)),
        error: formatSmtpError(scrubbed),
      };
    }
  }

  /**
   * A live grant whose sealed token is gone or opens with no configured secret (grants made before tokens were
   * random, or a secret retired while its email waited) gets a new random token before its email is rendered:
   * its old link stops working, and the new one is committed before the email can carry it.
   */
  async #reissueLost(grants: Map<string, GrantRow>): Promise<void> {
    const unsealed = [...grants.values()].filter(
      (g) =>
        g.status !== 'revoked' && g.status !== 'expired' && !(g.token_sealed && this.#o.tokens.open(g.token_sealed)),
    );
    if (unsealed.length === 0) return;
    // A grant whose link a sent email carried keeps it: that email (the fan's only copy) must go on working.
    const lost = unsealed.filter((g) => g.link_sent_at === null);
    if (lost.length === 0) return;
    const issued = lost.map(() => this.#o.tokens.issue());
    await this.#o.pool.query(
      `UPDATE download_grant g SET token_hash = n.hash, token_sealed = n.sealed
       FROM unnest($1::uuid[], $2::text[], $3::text[]) AS n(id, hash, sealed) WHERE g.id = n.id`,
      [lost.map((g) => g.id), issued.map((t) => t.hash), issued.map((t) => t.sealed)],
    );
    for (const [i, g] of lost.entries()) g.token_sealed = issued[i]!.sealed;
  }

  async #grants(ids: readonly string[]): Promise<Map<string, GrantRow>> {
    const { rows } = await this.#o.pool.query<GrantRow>(
      `SELECT g.id, g.token_sealed, g.link_sent_at, g.status, coalesce(t.release_instant, r.release_instant) AS opens_at,
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
  #linkedItems(payload: DownloadEmailPayload, grants: Map<string, GrantRow>, linked: string[]): LinkedItem[] {
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
        const token = g.token_sealed ? this.#o.tokens.open(g.token_sealed) : undefined;
        if (token) linked.push(g.id);
        return token ? [`${base}/d/${token}`] : [];
      });
      // Every link of the item already reached the fan in a sent email: nothing new to tell about it.
      if (links.length === 0 && live.every((g) => g.link_sent_at !== null)) {
        items.push({ title: item.title, artworkUrl, links: [], availableAt: null, early: [], linkSentBefore: true });
        continue;
      }
      // The sealed tokens are gone or no configured secret opens them (one retired too early).
      if (links.length === 0) throw Object.assign(new Error('download links unavailable'), { code: 'ENOLINK' });
      items.push({ title: item.title, artworkUrl, links, availableAt: preorder ? first.opens_at : null, early });
    }
    return items;
  }
}
