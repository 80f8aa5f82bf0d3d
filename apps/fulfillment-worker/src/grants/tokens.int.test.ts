import { createHmac } from 'node:crypto';
import { startTestSmtpServer, type TestSmtpServer, useTestDatabase } from '@single/testing';
import pg from 'pg';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Mailer } from '../email/mailer.ts';
import { applySnapshots } from '../handlers/order-snapshot/apply-snapshots.ts';
import { PreorderScheduler } from '../scheduler/preorder-scheduler.ts';
import { type Catalogue, paidOrder, SHOP, seedCatalogue } from '../test-support/fixtures.ts';
import { DownloadTokens, hashToken } from './tokens.ts';

const SECRET = 'tokens-secret-tokens-secret-tokens-secret-1';
const NEXT_SECRET = 'tokens-secret-tokens-secret-tokens-secret-2';

/**
 * Download links (issue 14): a token is random, never derivable from the grant id and the secret, and once its
 * emails are sent the database (a dump, a backup), even together with every configured secret, holds no usable
 * link; only the hash the redemption route looks up.
 */
describe('download tokens are random and leave no usable link in the database', () => {
  const database = useTestDatabase();
  let pool: pg.Pool;
  let smtp: TestSmtpServer;
  let transport: ReturnType<TestSmtpServer['transport']>;
  let catalogue: Catalogue;
  let clock: Date;

  beforeEach(async () => {
    pool = new pg.Pool({ connectionString: database().url, max: 3 });
    smtp = await startTestSmtpServer();
    transport = smtp.transport();
    clock = new Date();
    catalogue = await seedCatalogue(database().db, { now: clock });
  });
  afterEach(async () => {
    transport.close();
    await smtp.close();
    await pool.end();
  });

  const mailer = (tokens: DownloadTokens) =>
    new Mailer({
      pool,
      transport,
      tokens,
      from: 'Single <downloads@single.example>',
      downloadBaseUrl: 'https://dl.single.example',
      retryDelaysMs: [1_000],
      now: () => clock,
    });
  const linksIn = (source: string) => [...new Set([...source.matchAll(/\/d\/([A-Za-z0-9_-]{43})/g)].map((m) => m[1]!))];
  /** Every row of every table of the database as text: what a dump or a backup holds. */
  async function dump(): Promise<string[]> {
    const { rows: tables } = await pool.query<{ name: string }>(
      `SELECT quote_ident(table_name) AS name FROM information_schema.tables
       WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
    );
    const out: string[] = [];
    for (const { name } of tables) {
      const { rows } = await pool.query<{ row: string }>(`SELECT row_to_json(t)::text AS row FROM ${name} t`);
      out.push(...rows.map((r) => r.row));
    }
    return out;
  }
  /**
   * The links an attacker holding the dump and every configured secret gets: candidates from the HMAC scheme and
   * from unsealing every string, kept when their hash is a live grant's (a usable link).
   */
  async function recoverable(values: readonly string[], grantIds: readonly string[], secrets: readonly string[]) {
    const stored = new Set((await database().db.downloadGrant.findMany()).map((g) => g.tokenHash));
    const derived = secrets.flatMap((secret) =>
      grantIds.map((id) => createHmac('sha256', secret).update(`download-grant:${id}`).digest('base64url')),
    );
    const tokens = new DownloadTokens(secrets);
    const strings = values.flatMap((row) => [...row.matchAll(/"([^"\\]{20,})"/g)].map((m) => m[1]!));
    const unsealed = strings.flatMap((s) => tokens.open(s) ?? []);
    return [...new Set([...derived, ...unsealed])].filter((token) => stored.has(hashToken(token)));
  }

  it('a link is not derivable from its grant id and the secret, and no two grants share a token', async () => {
    const tokens = new DownloadTokens([SECRET]);
    await applySnapshots({ pool, tokens, now: () => clock }, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
    expect(await mailer(tokens).tick()).toBe(1);
    const links = linksIn(smtp.received[0]!.source);
    const grants = await database().db.downloadGrant.findMany();
    expect(links.length).toBeGreaterThan(0);
    expect(links.map(hashToken).every((h) => grants.some((g) => g.tokenHash === h))).toBe(true);
    for (const grant of grants) {
      const derived = createHmac('sha256', SECRET).update(`download-grant:${grant.id}`).digest('base64url');
      expect(hashToken(derived)).not.toBe(grant.tokenHash);
      expect(links).not.toContain(derived);
    }
    expect(new Set(grants.map((g) => g.tokenHash)).size).toBe(grants.length);
  });

  it('once the email is sent, a dump plus every secret yields no link; a pre-order keeps its sealed token until its own email', async () => {
    const tokens = new DownloadTokens([SECRET]);
    await applySnapshots({ pool, tokens, now: () => clock }, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
    expect(await mailer(tokens).tick()).toBe(1);
    const sent = linksIn(smtp.received[0]!.source);
    const grantIds = (await database().db.downloadGrant.findMany()).map((g) => g.id);

    // The pre-order (scheduled) still waits for its "it's here" email: only its token may remain, sealed.
    const preorder = await database().db.downloadGrant.findFirstOrThrow({
      where: { releaseId: catalogue.preorderAlbum },
    });
    const left = await recoverable(await dump(), grantIds, [SECRET]);
    expect(left.map(hashToken)).toEqual([preorder.tokenHash]);
    for (const token of sent.filter((t) => hashToken(t) !== preorder.tokenHash)) {
      expect((await dump()).some((row) => row.includes(token))).toBe(false);
    }

    // Its release comes, its email goes: nothing usable is left at all.
    clock = catalogue.preorderInstant;
    expect(await new PreorderScheduler({ db: database().db, now: () => clock }).tick()).toBe(1);
    expect(await mailer(tokens).tick()).toBe(1);
    expect(linksIn(smtp.received[1]!.source).map(hashToken)).toEqual([preorder.tokenHash]);
    const rows = await dump();
    expect(await recoverable(rows, grantIds, [SECRET])).toEqual([]);
    for (const token of [...sent, ...linksIn(smtp.received[1]!.source)]) {
      expect(rows.some((row) => row.includes(token))).toBe(false);
    }
  });

  it('rotation: a pending email sealed under the old secret still sends its link; with that secret retired, a link already sent is not re-issued', async () => {
    await applySnapshots({ pool, tokens: new DownloadTokens([SECRET]), now: () => clock }, [
      { shopDomain: SHOP, snapshot: paidOrder() },
    ]);
    const before = await database().db.downloadGrant.findMany({ orderBy: { id: 'asc' } });

    // Old secret still listed (second): the links issued at grant time go out unchanged.
    expect(await mailer(new DownloadTokens([NEXT_SECRET, SECRET])).tick()).toBe(1);
    const first = linksIn(smtp.received[0]!.source).map(hashToken).sort();
    expect(first).toEqual(
      before
        .filter((g) => first.includes(g.tokenHash))
        .map((g) => g.tokenHash)
        .sort(),
    );

    // The pre-order's "it's here" email after the old secret was retired. Its link already went out in the order
    // email (instant-grat tracks), so it is not re-issued: that link, in the fan's mailbox, keeps working, and the
    // email points to it.
    clock = catalogue.preorderInstant;
    expect(await new PreorderScheduler({ db: database().db, now: () => clock }).tick()).toBe(1);
    expect(await mailer(new DownloadTokens([NEXT_SECRET])).tick()).toBe(1);
    const preorder = await database().db.downloadGrant.findFirstOrThrow({
      where: { releaseId: catalogue.preorderAlbum },
    });
    expect(preorder.tokenHash).toBe(before.find((g) => g.id === preorder.id)!.tokenHash);
    expect(first).toContain(preorder.tokenHash);
    expect(linksIn(smtp.received[1]!.source)).toEqual([]);
    expect(smtp.received[1]!.source).toContain('use the download link from our earlier email');
    expect(preorder.tokenSealed).toBeNull();
  });

  it("a link a sent email carried is never re-issued by a later email of the same grant (the fan's copy keeps working)", async () => {
    const tokens = new DownloadTokens([SECRET]);
    await applySnapshots({ pool, tokens, now: () => clock }, [{ shopDomain: SHOP, snapshot: paidOrder() }]);
    expect(await mailer(tokens).tick()).toBe(1);
    const sent = linksIn(smtp.received[0]!.source);
    const before = (await database().db.downloadGrant.findMany({ where: { status: 'active' } })).map(
      (g) => g.tokenHash,
    );
    expect(sent.map(hashToken).filter((h) => before.includes(h))).toHaveLength(before.length);
    // A second email naming the same (now unsealed) grants: e.g. an order email retried after the release email.
    const first = await database().db.emailMessage.findFirstOrThrow();
    await database().db.emailMessage.create({
      data: {
        idempotencyKey: `${first.idempotencyKey}:again`,
        orderId: first.orderId,
        to: first.to,
        kind: first.kind,
        payload: first.payload as object,
        nextAttemptAt: clock,
      },
    });
    expect(await mailer(tokens).tick()).toBe(1);
    expect(smtp.received[1]!.source).toContain('use the download link from our earlier email');
    const after = (await database().db.downloadGrant.findMany({ where: { status: 'active' } })).map((g) => g.tokenHash);
    expect(after.sort()).toEqual([...before].sort());
  });
});
