import { createHash, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../test-support/harness.ts';
import { seedAccount, seedArtist, seedPaidOrder, seedRelease, seedShop, writeAudio } from '../test-support/seed.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

// The fan's page behind the email's link, at the HTTP level (the browser tests come with the dashboard's
// playwright set-up): artwork, tracks, one format picker, what is out now and a countdown for the rest, the
// downloads left, a file only on the fan's POST, accessible markup, and no script but the countdown's.
describe('the download page (GET /d/:token, text/html)', () => {
  let h: Harness;
  let clock: Date;
  const t0 = new Date(Math.ceil(Date.now() / HOUR) * HOUR + DAY);
  const releaseInstant = new Date(t0.getTime() + 10 * DAY);
  const shopDomain = 'fan-page.myshopify.com';
  let preorderId: string;
  let releasedId: string;

  beforeAll(async () => {
    h = await startHarness({ now: () => clock });
    const account = await seedAccount(h.pool, 'Fan page');
    await seedShop(h.pool, account.accountId, shopDomain);
    const artist = await seedArtist(h.pool, account.accountId);
    const preorder = await seedRelease(h.pool, artist, {
      title: 'Night <Ferry>',
      releaseInstant,
      tracks: [{ title: 'Harbor Lights', releaseInstant: new Date(t0.getTime() - HOUR) }, { title: 'Night Ferry' }],
    });
    preorderId = preorder.id;
    const released = await seedRelease(h.pool, artist, {
      title: 'Low Tide',
      releaseInstant: new Date(t0.getTime() - DAY),
      tracks: [{ title: 'Undertow' }, { title: 'Low Tide' }],
    });
    releasedId = released.id;
    await writeAudio(h.storageDir, { releaseId: preorderId, format: 'flac', track: 1 }, randomBytes(512), h.pool);
    await writeAudio(h.storageDir, { releaseId: releasedId, format: 'mp3', track: null }, randomBytes(512));
  });
  afterAll(() => h?.close());

  const html = async (token: string) => {
    const res = await h.api.app.inject({ url: `/d/${token}`, headers: { accept: 'text/html' } });
    expect(res.statusCode, res.body).toBe(200);
    return { body: res.body, csp: String(res.headers['content-security-policy']) };
  };
  const used = async (grantId: string) =>
    (await h.pool.query('SELECT downloads_used FROM download_grant WHERE id = $1', [grantId])).rows[0].downloads_used;

  it('a pre-order: artwork, the track out now with its button, the rest with its date and a countdown', async () => {
    clock = t0;
    const { token, grantId } = await seedPaidOrder(h.pool, {
      shopDomain,
      releaseId: preorderId,
      status: 'scheduled',
      expiresAt: null,
    });
    const { body, csp } = await html(token);
    expect(body).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(body).toContain(`<img src="/releases/${preorderId}/artwork" alt="Cover art of Night &lt;Ferry&gt;"`);
    expect(body).not.toContain('Night <Ferry>');
    expect(body).toContain('Out now: 1 of 2 tracks.');
    // One format picker for every button, in a fieldset with a legend: only the formats stored (FLAC), chosen.
    expect(body).toContain('<fieldset><legend>Format</legend>');
    expect([...body.matchAll(/<input type="radio" name="format" value="(\w+)"/g)].map((m) => m[1])).toEqual(['flac']);
    expect(body).toContain('<input type="radio" name="format" value="flac" checked>');
    expect(body.match(/ checked>/g)).toHaveLength(1);
    // The track out now: a submit button of the one POST form, tied to what is left of it.
    expect(body.match(/<form /g)).toHaveLength(1);
    expect(body).toContain(`<form method="post" action="/d/${token}/download">`);
    expect(body).toContain(
      '<button type="submit" name="track" value="1" aria-describedby="left-1">Download<span class="vh"> 1. Harbor Lights</span></button>',
    );
    expect(body).toContain('<span id="left-1" class="muted">3 of 3 downloads left</span>');
    expect(body).not.toContain('name="track" value="2"');
    expect(body).not.toContain('name="track" value=""'); // no archive before the release
    // The rest: its date in the page (works without JavaScript) and a countdown the script fills in.
    expect(body).toContain('<h2 id="later">Coming later</h2>');
    expect(body).toContain(`data-countdown="${releaseInstant.toISOString()}"`);
    expect(body).toContain(`<time datetime="${releaseInstant.toISOString()}">`);
    const day = new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone: 'America/New_York' });
    expect(body).toContain(`2. Night Ferry</span> <span>Arrives on ${day.format(releaseInstant)}`);
    // The one script runs by its hash; nothing else may run or load from elsewhere.
    const script = /<script>([\s\S]*?)<\/script>/.exec(body)![1]!;
    expect(csp).toContain(`script-src 'sha256-${createHash('sha256').update(script).digest('base64')}'`);
    expect(csp).toContain("default-src 'none'");
    expect(body).not.toMatch(/ on[a-z]+=/);
    // Opening the page spends nothing.
    expect(await used(grantId)).toBe(0);
  });

  it("writes dates in the fan's locale from Accept-Language, the page's lang saying what its words are", async () => {
    clock = t0;
    const { token } = await seedPaidOrder(h.pool, {
      shopDomain,
      releaseId: preorderId,
      status: 'scheduled',
      expiresAt: null,
    });
    const page = async (acceptLanguage: string) =>
      (
        await h.api.app.inject({
          url: `/d/${token}`,
          headers: { accept: 'text/html', 'accept-language': acceptLanguage },
        })
      ).body;
    const inNewYork = (locale: string) =>
      new Intl.DateTimeFormat(locale, { dateStyle: 'long', timeStyle: 'short', timeZone: 'America/New_York' }).format(
        releaseInstant,
      );
    // German conventions inside the English page: the date carries its own lang.
    const german = await page('de-DE,de;q=0.9,en;q=0.8');
    expect(german).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(german).toContain(`Arrives on <bdi lang="de-DE">${inNewYork('de-DE')}</bdi> (New York time)`);
    // A British fan: the page is in their English, the date in their order and clock.
    const british = await page('en-GB,en;q=0.9');
    expect(british).toMatch(/^<!doctype html>\n<html lang="en-GB">/);
    expect(british).toContain(`Arrives on ${inNewYork('en-GB')} (New York time)`);
    expect(british).not.toContain(inNewYork('en-US'));
    // Arabic or Hebrew: the date isolated right to left, the English note outside it.
    const arabic = await page('ar');
    expect(arabic).toMatch(/^<!doctype html>\n<html lang="en">/);
    expect(arabic).toContain(`Arrives on <bdi lang="ar" dir="rtl">${inNewYork('ar')}</bdi> (New York time)`);
    expect(arabic).not.toMatch(/<span lang="ar">[^<]*New York/);
    const hebrew = await page('he-IL,he;q=0.9');
    expect(hebrew).toContain(`Arrives on <bdi lang="he-IL" dir="rtl">${inNewYork('he-IL')}</bdi> (New York time)`);
    // A refused press of a track not out yet: its date in the fan's locale too.
    const refusal = await h.api.app.inject({
      method: 'POST',
      url: `/d/${token}/download`,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', 'accept-language': 'de' },
      payload: 'format=flac&track=2',
    });
    expect(refusal.statusCode).toBe(409);
    expect(refusal.body).toContain(`It arrives on <bdi lang="de">${inNewYork('de')}</bdi> (New York time)`);
  });

  it('the file comes only from the form: a POST with the picked format and the pressed button', async () => {
    clock = t0;
    const { token, grantId } = await seedPaidOrder(h.pool, {
      shopDomain,
      releaseId: preorderId,
      status: 'scheduled',
      expiresAt: null,
    });
    await html(token);
    await html(token);
    expect(await used(grantId)).toBe(0);
    const res = await h.api.app.inject({
      method: 'POST',
      url: `/d/${token}/download`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'format=flac&track=1',
    });
    expect(res.statusCode, res.body).toBe(303);
    expect(await used(grantId)).toBe(1);
    expect((await html(token)).body).toContain('<span id="left-1" class="muted">2 of 3 downloads left</span>');
  });

  it("the form's refusals are pages for the fan: a format not stored, a track not out yet; nothing counted", async () => {
    clock = t0;
    const { token, grantId } = await seedPaidOrder(h.pool, {
      shopDomain,
      releaseId: preorderId,
      status: 'scheduled',
      expiresAt: null,
    });
    const post = (payload: string, accept: string) =>
      h.api.app.inject({
        method: 'POST',
        url: `/d/${token}/download`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept },
        payload,
      });
    const browser = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
    const missing = await post('format=mp3&track=1', browser);
    expect(missing.statusCode).toBe(503);
    expect(missing.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(missing.headers['content-security-policy']).toContain("default-src 'none'");
    expect(missing.body).toMatch(/^<!doctype html>/);
    expect(missing.body).toContain('pick another format');
    expect(missing.body).toContain(`<a href="/d/${token}">Back to your download page</a>`);
    const later = await post('format=flac&track=2', browser);
    expect(later.statusCode).toBe(409);
    expect(later.headers['content-type']).toBe('text/html; charset=utf-8');
    const day = new Intl.DateTimeFormat('en-US', { dateStyle: 'long', timeZone: 'America/New_York' });
    expect(later.body).toContain(day.format(releaseInstant));
    // API clients still get problem+json.
    const api = await post('format=mp3&track=1', 'application/json');
    expect([api.statusCode, api.headers['content-type'], api.json().code]).toEqual([
      503,
      'application/problem+json; charset=utf-8',
      'file_unavailable',
    ]);
    expect(await used(grantId)).toBe(0);
  });

  it('a tampered form (a format never offered, no format, a bad track) and a spent file link are pages for the fan too', async () => {
    clock = t0;
    const { token, grantId } = await seedPaidOrder(h.pool, {
      shopDomain,
      releaseId: preorderId,
      status: 'scheduled',
      expiresAt: null,
    });
    const browser = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
    const post = (payload: string, accept: string, contentType = 'application/x-www-form-urlencoded') =>
      h.api.app.inject({
        method: 'POST',
        url: `/d/${token}/download`,
        headers: { 'content-type': contentType, accept },
        payload,
      });
    const asPage = (res: { statusCode: number; headers: Record<string, unknown>; body: string }, status: number) => {
      expect([res.statusCode, res.headers['content-type']], res.body).toEqual([status, 'text/html; charset=utf-8']);
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      expect(res.body).toMatch(/^<!doctype html>/);
      expect(res.body).toContain(`<a href="/d/${token}">Back to your download page</a>`);
    };
    for (const payload of ['format=ogg&track=1', 'track=1', 'format=flac&track=x', `format=${'a'.repeat(2000)}`]) {
      const res = await post(payload, browser);
      asPage(res, payload.length > 1024 ? 413 : 400);
      expect(res.body).toContain('pick a format');
    }
    asPage(await post('format=flac', browser, 'text/xml'), 415);
    // API clients keep problem+json.
    const api = await post('format=ogg&track=1', 'application/json');
    expect([api.statusCode, api.headers['content-type'], api.json().code]).toEqual([
      400,
      'application/problem+json; charset=utf-8',
      'validation_failed',
    ]);
    expect(await used(grantId)).toBe(0);

    // The file link after its window (the fan reopens it from the browser's downloads): a page with the way back.
    const counted = await post('format=flac&track=1', browser);
    expect(counted.statusCode, counted.body).toBe(303);
    const fileUrl = String(counted.headers.location);
    clock = new Date(t0.getTime() + HOUR);
    const spent = await h.api.app.inject({ url: fileUrl, headers: { accept: browser } });
    asPage(spent, 410);
    expect(spent.body).toContain('download it again');
    const unknown = await h.api.app.inject({ url: `/d/${token}/file/${'x'.repeat(43)}`, headers: { accept: browser } });
    asPage(unknown, 404);
    const apiSpent = await h.api.app.inject({ url: fileUrl, headers: { accept: 'application/json' } });
    expect([apiSpent.statusCode, apiSpent.json().code]).toEqual([410, 'download_link_expired']);
    expect(await used(grantId)).toBe(1);
  });

  it('a released album: the whole release and every track out, no countdown and no script', async () => {
    clock = t0;
    const { token, grantId } = await seedPaidOrder(h.pool, { shopDomain, releaseId: releasedId, downloadLimit: 2 });
    const { body } = await html(token);
    expect(body).toContain('Everything is out: pick a format and download.');
    expect(body).toContain(
      '<button type="submit" name="track" value="" aria-describedby="left-all">Download the whole release<span class="vh"> Low Tide (zip)</span></button>',
    );
    for (const position of [1, 2]) expect(body).toContain(`name="track" value="${position}"`);
    expect(body).not.toContain('Coming later');
    expect(body).not.toContain('<script');
    // The archive button of the form: an empty track field is the whole release.
    const res = await h.api.app.inject({
      method: 'POST',
      url: `/d/${token}/download`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'format=mp3&track=',
    });
    expect(res.statusCode, res.body).toBe(303);
    expect(await used(grantId)).toBe(1);
  });

  it('is accessible markup: every image has alt text, every control a label, ids unique, headings in order', async () => {
    clock = t0;
    for (const releaseId of [preorderId, releasedId]) {
      const { token } = await seedPaidOrder(h.pool, {
        shopDomain,
        releaseId,
        status: releaseId === preorderId ? 'scheduled' : 'active',
      });
      const { body } = await html(token);
      for (const img of body.match(/<img [^>]*>/g) ?? []) expect(img).toMatch(/ alt="[^"]+"/);
      // Radios sit inside their <label>; buttons have text.
      expect(body.match(/<label><input type="radio"/g)).toHaveLength(1); // one format stored of each
      for (const button of body.match(/<button[^>]*>[\s\S]*?<\/button>/g) ?? []) {
        expect(button.replace(/<[^>]+>/g, '').trim().length).toBeGreaterThan(0);
        const described = / aria-describedby="([^"]+)"/.exec(button)?.[1];
        expect(body).toContain(`id="${described}"`);
      }
      const ids = [...body.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]);
      expect(new Set(ids).size).toBe(ids.length);
      const headings = [...body.matchAll(/<h([1-6])/g)].map((m) => Number(m[1]));
      expect(headings[0]).toBe(1);
      for (let i = 1; i < headings.length; i++) expect(headings[i]! - headings[i - 1]!).toBeLessThanOrEqual(1);
      expect(body).not.toMatch(/<table/i);
      expect(body).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    }
  });

  it('serves the cover art, or a placeholder image when a release has none (never a broken image)', async () => {
    const none = await h.api.app.inject({ url: `/releases/${preorderId}/artwork` });
    expect([none.statusCode, none.headers['content-type']]).toEqual([200, 'image/svg+xml']);
    expect(none.body).toMatch(/^<svg /);
    const jpeg = randomBytes(256);
    await mkdir(path.join(h.storageDir, releasedId), { recursive: true });
    await writeFile(path.join(h.storageDir, releasedId, 'artwork.jpg'), jpeg);
    const art = await h.api.app.inject({ url: `/releases/${releasedId}/artwork` });
    expect([art.statusCode, art.headers['content-type']]).toEqual([200, 'image/jpeg']);
    expect(art.rawPayload.equals(jpeg)).toBe(true);
    for (const bad of ['not-a-uuid', '..%2F..%2Fetc%2Fpasswd']) {
      const res = await h.api.app.inject({ url: `/releases/${bad}/artwork` });
      expect([res.statusCode, res.headers['content-type']]).toEqual([200, 'image/svg+xml']);
    }
  });
});
