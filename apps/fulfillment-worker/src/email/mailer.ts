import type { Logger } from '@single/logger';
import type { Pool, PoolClient } from 'pg';
import type { DownloadTokens } from '../grants/tokens.ts';
import type { FailureClass, OutboxMetrics } from '../support/outbox-metrics.ts';
import { recordOutcome } from '../support/record-outcome.ts';
import type { DownloadEmailPayload } from './outbox.ts';
import { type LinkedItem, renderDownloadEmail } from './render.ts';
import { formatSmtpError, mayHaveBeenSent, type ScrubbedSmtpError, scrubSmtpError } from './smtp-error.ts';

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
  /**
   * How long a claimed email stays `sending` before another sender may take it (its sender died, or could
   * not record the outcome). Default 2 min; must exceed sendTimeoutMs.
   */
  leaseMs?: number;
  /**
   * A send unanswered after this no longer holds up the tick; it stays `sending` and its outcome is recorded
   * when it settles (default: half the lease, at most 60 s; the transport's socketTimeout should match it).
   */
  sendTimeoutMs?: number;
  batchSize?: number;
  now?: () => Date;
  /** Failed sends are logged with ids and the scrubbed error only (never the SMTP reply: it quotes the fan). */
  logger?: Pick<Logger, 'warn'>;
  metrics?: OutboxMetrics;
  /**
   * Test-only (the restart tests' SIGKILL point): awaited after SMTP accepted an email and before its outcome
   * is written. main.ts sets it only from TEST_PAUSE_AT.
   */
  afterAccept?: (emailId: string) => Promise<void>;
}

interface ClaimedEmail {
  id: string;
  idempotency_key: string;
  message_id: string;
  to: string;
  kind: string;
  payload: DownloadEmailPayload;
  attempts: number;
  /** It was in `sending` when claimed: an earlier send may have reached the fan (same Message-ID now). */
  uncertain: boolean;
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
  /** The tracks the grant covers (a track grant: its one track), in order, each with its instant. */
  tracks: { title: string; at: string }[];
  artist: string;
  /** When a sent email first carried its link: never re-issued after that (it would break the fan's copy). */
  link_sent_at: Date | null;
}

/** What happened to one claimed email; recorded on its own as soon as it is known. */
interface Outcome {
  id: string;
  status: 'sent' | 'pending' | 'failed';
  sentAt: Date | null;
  nextAttemptAt: Date | null;
  error: string | null;
  errorClass: FailureClass | null;
  /** The attempt's fate is unknown (a timeout or a connection lost mid-send): it may have reached the fan. */
  uncertain: boolean;
  /** The grants whose links the email carried (when sent). */
  linked?: readonly string[];
}

// The claim of a tick's emails; exported for bench/data-layer (pg against Prisma on the same text).
export const CLAIM_EMAILS = `UPDATE email_message m SET attempts = m.attempts + 1, next_attempt_at = $2, status = 'sending',
         uncertain_sends = m.uncertain_sends + (m.status = 'sending')::int
       FROM (SELECT id, status = 'sending' AS uncertain FROM email_message
             WHERE status IN ('pending', 'sending') AND next_attempt_at <= $1
             ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) c
       WHERE m.id = c.id
       RETURNING m.id, m.idempotency_key, m.message_id, m."to", m.kind, m.payload, m.attempts, c.uncertain`;

/**
 * Sends the email outbox over SMTP, exactly once as far as a sender can tell. A batch of rows is claimed
 * (`sending`, with a lease, so replicas and restarts never send them concurrently), their grants are read in
 * one query, and the emails go out concurrently over the pooled transport. Each email's outcome is written
 * on its own as soon as SMTP answers (retried while the lease lasts), so a failed write or a crash concerns
 * that one email, never the batch, and a hung send holds up nobody else's record. Transient failures climb
 * the delay ladder; permanent ones (5xx to the envelope or message) fail at once.
 *
 * Two windows are left, both where nothing can tell a send that reached the server from one that never left:
 * a crash (or a database out for longer than the lease) between SMTP's acceptance and that write (the row
 * is then found in `sending` after its lease), and an attempt that timed out or lost its connection mid-send.
 * Either way the email is sent again, on purpose, rather than dropped: a lost download email costs the fan
 * their music and the artist the chart sale, while a copy costs an extra email. The copy carries the row's
 * stored Message-ID (generated once per row), so a receiving server or client that drops duplicates by
 * Message-ID drops it, and the row counts each such attempt in `uncertain_sends` (also
 * `fulfillment_outbox_uncertain_resends_total`): the SMTP server never holds more copies of an email than
 * 1 + uncertain_sends.
 */
export class Mailer {
  readonly #o: Required<Omit<MailerOptions, 'now' | 'logger' | 'metrics' | 'afterAccept'>> &
    Pick<MailerOptions, 'logger' | 'metrics' | 'afterAccept'> & { now: () => Date };

  constructor(options: MailerOptions) {
    const leaseMs = options.leaseMs ?? 120_000;
    this.#o = {
      batchSize: 50,
      now: () => new Date(),
      sendTimeoutMs: Math.min(60_000, Math.floor(leaseMs / 2)),
      ...options,
      leaseMs,
    };
    if (this.#o.sendTimeoutMs >= leaseMs) throw new Error('sendTimeoutMs must be shorter than leaseMs');
  }

  /** Sends what is due; returns how many emails it handled. */
  async tick(): Promise<number> {
    const now = this.#o.now();
    // The lease deadline of the outcome writes is wall-clock time whatever clock the caller injected.
    const deadline = Date.now() + this.#o.leaseMs;
    const { rows } = await this.#o.pool.query<ClaimedEmail>(CLAIM_EMAILS, [
      now,
      new Date(now.getTime() + this.#o.leaseMs),
      this.#o.batchSize,
    ]);
    if (rows.length === 0) return 0;
    const uncertain = rows.filter((row) => row.uncertain);
    if (uncertain.length > 0) {
      this.#o.metrics?.uncertainResend('email', uncertain.length);
      this.#o.logger?.warn(
        { emailIds: uncertain.map((row) => row.id) },
        'emails found sending after their lease: sent again with the same Message-ID',
      );
    }
    let grants: Map<string, GrantRow>;
    try {
      grants = await this.#grants(rows.flatMap((row) => row.payload.items.flatMap((i) => i.grantIds)));
      await this.#reissueLost(grants);
    } catch (err) {
      // Nothing was handed to SMTP: give the claim back (best effort, the database may be what failed), so the
      // rows are not taken for possibly-sent ones after the lease.
      await this.#unclaim(rows).catch(() => undefined);
      throw err;
    }
    const recorded = await Promise.all(
      rows.map((row) =>
        this.#within(
          row,
          (async () => {
            const outcome = await this.#deliver(row, grants);
            if (outcome.status === 'sent') await this.#o.afterAccept?.(row.id);
            return recordOutcome(() => this.#record(row, outcome), {
              deadline,
              logger: this.#o.logger,
              what: { emailId: row.id, status: outcome.status },
            });
          })(),
        ),
      ),
    );
    // The loop backs off (the database is down); the rows not recorded are resent after their lease.
    if (recorded.includes(false)) throw new Error('email outcomes not recorded');
    return rows.length;
  }

  /** A row counted as uncertain when claimed stays counted: an earlier sender may still have sent it. */
  async #unclaim(rows: readonly ClaimedEmail[]): Promise<void> {
    await this.#o.pool.query(
      `UPDATE email_message m SET status = 'pending', next_attempt_at = $3
       FROM unnest($1::uuid[], $2::int[]) AS c(id, attempts)
       WHERE m.id = c.id AND m.status = 'sending' AND m.attempts = c.attempts`,
      [rows.map((r) => r.id), rows.map((r) => r.attempts), this.#o.now()],
    );
  }

  /**
   * One transaction per email: its outcome (only while the claim is still this sender's: same attempt, still
   * `sending`), and the sealed tokens no email will need any more wiped with it.
   */
  async #record(email: ClaimedEmail, outcome: Outcome): Promise<void> {
    const client = await this.#o.pool.connect();
    let owned: boolean;
    try {
      await client.query('BEGIN');
      const written = await client.query(
        `UPDATE email_message SET status = $2::email_status, sent_at = coalesce($3, sent_at),
           next_attempt_at = coalesce($4, next_attempt_at), last_error = $5, error_class = $6,
           uncertain_sends = uncertain_sends + $8::int
         WHERE id = $1 AND status = 'sending' AND attempts = $7`,
        [
          outcome.id,
          outcome.status,
          outcome.sentAt,
          outcome.nextAttemptAt,
          outcome.error,
          outcome.errorClass,
          email.attempts,
          outcome.uncertain ? 1 : 0,
        ],
      );
      // Side effects only when the fence matched. Otherwise another sender claimed the row (this lease ran out)
      // or a redaction failed it: the row's outcome is theirs, and so are its links, its tokens (the new
      // sender's email still needs them) and the failure count.
      owned = written.rowCount === 1;
      if (owned) {
        await this.#markLinksSent(client, outcome);
        await this.#wipeTokens(client, email, outcome);
      }
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    if (!owned) {
      this.#o.logger?.warn(
        { emailId: email.id, attempts: email.attempts, status: outcome.status },
        'email outcome not written: the row is no longer this attempt’s',
      );
      return;
    }
    if (outcome.status === 'failed' && outcome.errorClass) this.#o.metrics?.failed('email', outcome.errorClass);
    if (outcome.uncertain) this.#o.metrics?.uncertainResend('email');
  }

  /** The links a sent email carried are in the fan's mailbox now: from here on they are never re-issued. */
  async #markLinksSent(client: PoolClient, outcome: Outcome): Promise<void> {
    const linked = outcome.status === 'sent' ? (outcome.linked ?? []) : [];
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
  async #wipeTokens(client: PoolClient, email: ClaimedEmail, outcome: Outcome): Promise<void> {
    if (outcome.status === 'pending') return;
    const grantIds = email.payload.items.flatMap((i) => i.grantIds);
    if (grantIds.length === 0) return;
    await client.query(
      `UPDATE download_grant SET token_sealed = NULL
       WHERE id = ANY($1::uuid[]) AND status <> 'scheduled' AND token_sealed IS NOT NULL`,
      [grantIds],
    );
  }

  async #deliver(email: ClaimedEmail, grants: Map<string, GrantRow>): Promise<Outcome> {
    const outcome = {
      id: email.id,
      sentAt: null,
      nextAttemptAt: null,
      error: null,
      errorClass: null,
      uncertain: false,
    };
    // A redacted customer's email (its recipient wiped, privacy.service.ts) is never handed to SMTP: nodemailer
    // would refuse it, and the fan can no longer be written to. Fails at once, out of the alarm and the redrive.
    if (email.to.trim() === '') {
      return { ...outcome, status: 'failed', error: 'no_recipient', errorClass: 'no_recipient' };
    }
    try {
      const linked: string[] = [];
      const items = this.#linkedItems(email.payload, grants, linked);
      // Every grant was revoked (refund or cancellation) before the email went out: nothing to send.
      if (items.length === 0) {
        return { ...outcome, status: 'failed', error: 'grants_revoked', errorClass: 'grants_revoked' };
      }
      const rendered = renderDownloadEmail(email.payload, items);
      await this.#o.transport.sendMail({
        from: this.#o.from,
        to: email.to,
        ...rendered,
        // Stored with the row (generated once): every attempt, and a resend after a crash, carries the same one.
        messageId: email.message_id,
        headers: { 'X-Single-Email-Kind': email.kind },
      });
      return { ...outcome, status: 'sent', sentAt: this.#o.now(), linked };
    } catch (err) {
      // The error's message is the server's reply, which quotes the recipient: only its codes are kept.
      const scrubbed = scrubSmtpError(err);
      // A permanent refusal (the address does not exist, the message is refused) fails now: another attempt
      // gets the same answer, and the fan's email should reach the failed count and its alarm at once.
      const delay = scrubbed.errorClass === 'permanent' ? undefined : this.#o.retryDelaysMs[email.attempts - 1];
      this.#o.logger?.warn(
        { emailId: email.id, kind: email.kind, attempts: email.attempts, smtp: scrubbed, retry: delay !== undefined },
        'email not sent',
      );
      return {
        ...outcome,
        status: delay === undefined ? 'failed' : 'pending',
        nextAttemptAt: new Date(this.#o.now().getTime() + (delay ?? 0)),
        error: formatSmtpError(scrubbed),
        errorClass: delay === undefined ? failureClass(scrubbed) : null,
        uncertain: mayHaveBeenSent(scrubbed),
      };
    }
  }

  /**
   * A send that hangs (a stalled relay) stops holding up the tick after sendTimeoutMs, but it is NOT declared
   * failed: nodemailer cannot abort a send, so a retry now would deliver a second copy when the first one
   * completes (the storm's duplicate emails). The row stays `sending` under its lease and the send's real
   * outcome (sent, or an error on the ladder) is recorded when SMTP answers; nodemailer's own socket timeout
   * (main.ts, set from the same bound) ends a dead connection. Only a send still unsettled when the lease ends
   * is retried, as uncertain, like a crashed sender's.
   */
  async #within(email: ClaimedEmail, settled: Promise<boolean>): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const slow = new Promise<'slow'>((resolve) => {
      timer = setTimeout(() => resolve('slow'), this.#o.sendTimeoutMs);
    });
    try {
      const result = await Promise.race([settled, slow]);
      if (result !== 'slow') return result;
      this.#o.logger?.warn(
        { emailId: email.id, attempts: email.attempts, sendTimeoutMs: this.#o.sendTimeoutMs },
        'email send still unanswered: left sending, its outcome is recorded when SMTP answers',
      );
      settled.catch(() => undefined);
      return true;
    } finally {
      clearTimeout(timer);
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
              ELSE '[]' END AS early,
              (SELECT coalesce(json_agg(json_build_object('title', k.title,
                        'at', coalesce(k.release_instant, r.release_instant)) ORDER BY k.position), '[]')
               FROM track k WHERE k.release_id = g.release_id AND (g.track_id IS NULL OR k.id = g.track_id)) AS tracks,
              a.name AS artist
       FROM download_grant g JOIN release r ON r.id = g.release_id JOIN artist a ON a.id = r.artist_id
       LEFT JOIN track t ON t.id = g.track_id
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
      const shown = {
        artist: first.artist,
        tracks: first.tracks.map((t) => ({ title: t.title, availableAt: new Date(t.at), out: new Date(t.at) <= now })),
      };
      const preorder = live.every((g) => g.status === 'scheduled');
      const early = preorder
        ? first.early.map((e) => ({ title: e.title, availableAt: new Date(e.at), out: new Date(e.at) <= now }))
        : [];
      if (preorder && early.length === 0) {
        items.push({ title: item.title, ...shown, artworkUrl, links: [], availableAt: first.opens_at, early });
        continue;
      }
      const links = live.flatMap((g) => {
        const token = g.token_sealed ? this.#o.tokens.open(g.token_sealed) : undefined;
        if (token) linked.push(g.id);
        return token ? [`${base}/d/${token}`] : [];
      });
      // Every link of the item already reached the fan in a sent email: nothing new to tell about it.
      if (links.length === 0 && live.every((g) => g.link_sent_at !== null)) {
        items.push({
          title: item.title,
          ...shown,
          artworkUrl,
          links: [],
          availableAt: null,
          early: [],
          linkSentBefore: true,
        });
        continue;
      }
      // The sealed tokens are gone or no configured secret opens them (one retired too early).
      if (links.length === 0) throw Object.assign(new Error('download links unavailable'), { code: 'ENOLINK' });
      items.push({
        title: item.title,
        ...shown,
        artworkUrl,
        links,
        availableAt: preorder ? first.opens_at : null,
        early,
      });
    }
    return items;
  }
}

function failureClass(error: ScrubbedSmtpError): FailureClass {
  return error.errorClass === 'permanent' ? 'permanent' : 'transient';
}
