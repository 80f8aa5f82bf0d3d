import { negotiate } from '@fastify/accept-negotiator';
import send from '@fastify/send';
import { ProblemError, toProblemError } from '@single/http';
import { resolveClientIp, type TrustedProxies } from '@single/trusted-proxy';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RateLimit } from '../support/rate-limits.ts';
import { problem, problemResponses } from '../support/responses.ts';
import { registerArtworkRoute } from './artwork.routes.ts';
import { checkFile, type FileCheck, grantContents } from './availability.ts';
import { fanLocale } from './fan-locale.ts';
import { fanAdvice, PAGE_CSP, renderErrorPage, renderLandingPage } from './landing-page.ts';
import { landingView, toLandingView } from './landing-view.ts';
import { downloadsLeft, type GrantState, grantState, hashToken, type RedemptionService } from './redemption.service.ts';
import {
  type AudioFile,
  type AudioStorage,
  contentDisposition,
  contentTypeOf,
  DOWNLOAD_FORMATS,
  type DownloadFormat,
  fileExtension,
} from './storage.ts';
import { storedFormats } from './stored-formats.ts';

export interface DownloadRouteDeps {
  redemptions: RedemptionService;
  storage: AudioStorage;
  trustedProxies: TrustedProxies;
  perIp: RateLimit;
  perToken: RateLimit;
}

const TOKEN = /^[A-Za-z0-9_-]{20,128}$/;
const FILE_KEY = /^[A-Za-z0-9_-]{43}$/;

function refuse(state: Exclude<GrantState, 'ok'> | 'used_up'): ProblemError {
  if (state === 'expired') return new ProblemError(410, 'download_expired', 'This download link has expired');
  if (state === 'used_up')
    return new ProblemError(410, 'download_limit_reached', 'This file has no downloads left on this link');
  // Unknown and revoked links look the same: no oracle for guessed tokens.
  return new ProblemError(404, 'not_found', 'Download not found');
}

/** Why a file cannot be served now: not out yet (with its instant), or not covered by this link. */
function unavailable(check: Exclude<FileCheck, { state: 'available' }>): ProblemError {
  if (check.state === 'not_yet') {
    return new ProblemError(409, 'not_available_yet', 'This file is not out yet', {
      extensions: { availableAt: check.availableAt.toISOString() },
    });
  }
  return new ProblemError(404, 'file_not_found', 'This link has no such file');
}

const prefersHtml = (request: FastifyRequest) =>
  negotiate(request.headers.accept ?? '', ['text/html', 'application/json']) === 'text/html';

/** A refusal as the fan's page (same status and headers as the problem+json API clients get). */
function sendErrorPage(
  reply: FastifyReply,
  error: ProblemError,
  options: { detailHtml?: string; back?: string; locale: string },
) {
  return reply
    .code(error.status)
    .headers(error.headers)
    .header('content-security-policy', PAGE_CSP)
    .type('text/html; charset=utf-8')
    .send(renderErrorPage(error.status, error.title, options));
}

/**
 * A refusal raised before the handler runs (the form's body failing its schema, too large, of another type) as the
 * fan's page with the way back, like the handler's own refusals; API clients and 5xx go on to the app's handler.
 */
function fanPageOnError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const problem = toProblemError(error);
  if (problem.status >= 500 || !prefersHtml(request)) throw error;
  request.log.info({ code: problem.code, status: problem.status }, 'request rejected');
  reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
  const { token } = request.params as { token?: string };
  const locale = fanLocale(request.headers['accept-language']);
  const page = new ProblemError(problem.status, problem.code, 'This download request was not understood');
  return sendErrorPage(reply, page, {
    detailHtml: fanAdvice(page, locale) ?? 'Go back to your download page, pick a format and press a download button.',
    ...(token && TOKEN.test(token) ? { back: `/d/${token}` } : {}),
    locale,
  });
}

/** The name the fan's browser saves a file under. */
export function downloadFilename(file: AudioFile, releaseTitle: string, trackTitle: string | null): string {
  const format = file.format.toUpperCase();
  if (file.track === null) return `${releaseTitle} (${format}).zip`;
  const position = String(file.track.position).padStart(2, '0');
  return `${position} ${trackTitle ?? releaseTitle} (${format}).${fileExtension(file)}`;
}

const problemJson = { content: { 'application/problem+json': { schema: problem } } };
const tokenParams = z.object({ token: z.string().max(200) });

// A form sends an empty track field for "the whole release"; a JSON client may omit it or send null.
// Otherwise a position: a JSON integer, or a form's string of decimal digits. Nothing else is read as a
// number (no true, [1], "0x1", "1e0", " 1", "+1" or "1.0" as track 1).
const trackField = z.preprocess(
  (v) => (v === '' || v === null ? undefined : v),
  z
    .union([
      z.number().int().min(1).max(10_000),
      z
        .string()
        .regex(/^[0-9]{1,5}$/, 'a track position: decimal digits')
        .transform(Number),
    ])
    .pipe(z.number().int().min(1).max(10_000))
    .optional()
    .describe('A track position (1..n): a JSON integer or, from a form, decimal digits; absent or empty = the archive'),
);

/**
 * The fan's download link, in three steps, so that only a fan's own action counts a download:
 * - `GET /d/:token`: the landing page (HTML for browsers, JSON for `Accept: application/json`): the release,
 *   its tracks and when each is out, the formats and the downloads left. Counts nothing: mail scanners,
 *   link previews and HEAD requests fetch it freely.
 * - `POST /d/:token/download` (format, optional track): the fan's button. Counts one download and answers
 *   with a file link (303, or JSON for `Accept: application/json`). Scanners prefetch GETs, not forms.
 * - `GET /d/:token/file/:key`: that file, for a short window; range re-requests and HEAD count nothing.
 */
export function registerDownloadRoute(app: FastifyInstance, deps: DownloadRouteDeps) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  registerArtworkRoute(app, deps.storage);
  // HTML forms post urlencoded bodies; URLSearchParams is the WHATWG parser (what @fastify/formbody wraps).
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string', bodyLimit: 1024 },
    (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
  );

  const privateHeaders = (reply: FastifyReply) =>
    reply
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .header('x-robots-tag', 'noindex')
      .header('x-content-type-options', 'nosniff');

  const clientIpOf = (request: FastifyRequest) =>
    resolveClientIp({ remoteAddress: request.socket.remoteAddress, headers: request.headers }, deps.trustedProxies, {
      headerSource: 'x-forwarded-for',
    }).clientIp;

  /** Rate limits (per client IP, then per link) and the token's shape; returns its hash. */
  async function admit(request: FastifyRequest, token: string, clientIp: string | null, perToken = true) {
    await deps.perIp.consume(request, clientIp ?? request.socket.remoteAddress ?? 'unknown');
    if (!TOKEN.test(token)) throw refuse('not_found');
    const tokenHash = hashToken(token);
    if (perToken) await deps.perToken.consume(request, tokenHash);
    return tokenHash;
  }

  r.get(
    '/d/:token',
    {
      schema: {
        tags: ['downloads'],
        summary: "A fan's download link: the landing page",
        description:
          'What the link delivers and when: the release, its tracks with the instant each is out (an "instant grat" ' +
          'track before the release), the whole-release archive from the release instant, the formats and the ' +
          'downloads left. HTML for browsers, JSON for `Accept: application/json`. Counts nothing (nor does HEAD): ' +
          'the file is sent only after the fan submits the page (`POST /d/{token}/download`). Unknown or revoked ' +
          'links 404; expired links 410. Each file (each track, and the archive) has its own allowance of ' +
          '`downloadLimit` downloads; the page shows what is left of each. Rate-limited per client IP and per link.',
        params: tokenParams,
        response: {
          200: {
            description: 'The landing page',
            content: {
              'application/json': { schema: landingView },
              'text/html': { schema: z.string() },
            },
          },
          410: problemJson,
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      privateHeaders(reply);
      const html = negotiate(request.headers.accept ?? '', ['text/html', 'application/json']) === 'text/html';
      try {
        const tokenHash = await admit(request, request.params.token, clientIpOf(request));
        const grant = await deps.redemptions.find(tokenHash);
        const state = grantState(grant, deps.redemptions.now());
        if (state !== 'ok' || !grant) throw refuse(state === 'ok' ? 'not_found' : state);
        const now = deps.redemptions.now();
        const view = toLandingView(grant, request.params.token, now, await storedFormats(deps.storage, grant, now));
        if (!html) return view;
        return reply
          .header('content-security-policy', PAGE_CSP)
          .type('text/html; charset=utf-8')
          .send(renderLandingPage(view, fanLocale(request.headers['accept-language'])));
      } catch (error) {
        // A browser gets a page it can show; API clients the problem+json of every other error.
        if (!html || !(error instanceof ProblemError)) throw error;
        return sendErrorPage(reply, error, { locale: fanLocale(request.headers['accept-language']) });
      }
    },
  );

  r.post(
    '/d/:token/download',
    {
      errorHandler: fanPageOnError,
      schema: {
        tags: ['downloads'],
        summary: "Download a file of the link (the fan's button): counts one download",
        description:
          'Counts one download of the link and answers with a link to the file: 303 to it, or `{ url, serveUntil }` ' +
          'for `Accept: application/json`. `track` (a position) asks for one track, served from its own instant; ' +
          'without it, the whole release as a zip, served from the release instant. A file not out yet is ' +
          'refused (409 `not_available_yet`, with `availableAt`) and counts nothing; so do 404, 410 ' +
          '(`download_expired`, or `download_limit_reached` when this file has no downloads left: the limit is ' +
          "per file, so early tracks never use up the album's) and a missing file (503). The grant's first " +
          'counted download, of any file, records the redemption (`sale.redeemed`). ' +
          'Accepts an HTML form (urlencoded) or JSON. A refusal (a body failing validation, 413 and 415 included) is ' +
          'problem+json, or an HTML page with a link back to the landing page when the client prefers `text/html` ' +
          "(the fan's form post).",
        params: tokenParams,
        body: z.object({ format: z.enum(DOWNLOAD_FORMATS), track: trackField }),
        response: {
          200: z
            .object({
              url: z.string().describe('The file link: range requests within the window count nothing'),
              serveUntil: z.string(),
            })
            .describe('The file link (Accept: application/json)'),
          303: z.undefined().describe('See Other: the file link'),
          410: problemJson,
          503: problemJson,
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      privateHeaders(reply);
      try {
        return await countDownload(request, reply);
      } catch (error) {
        // The fan's form post (a browser asks for text/html): a page to read and a way back, not problem+json.
        if (!(error instanceof ProblemError) || !prefersHtml(request)) throw error;
        const locale = fanLocale(request.headers['accept-language']);
        const back = `/d/${request.params.token}`;
        return sendErrorPage(reply, error, { detailHtml: fanAdvice(error, locale), back, locale });
      }
    },
  );

  async function countDownload(
    request: FastifyRequest<{
      Params: { token: string };
      Body: { format: DownloadFormat; track?: number | undefined };
    }>,
    reply: FastifyReply,
  ) {
    const clientIp = clientIpOf(request);
    const tokenHash = await admit(request, request.params.token, clientIp);
    const { format, track = null } = request.body;
    const grant = await deps.redemptions.find(tokenHash);
    const state = grantState(grant, deps.redemptions.now());
    if (state !== 'ok' || !grant) throw refuse(state === 'ok' ? 'not_found' : state);
    // Refused before anything is counted: a file not out yet, one the link does not cover, or used up.
    const check = checkFile(grantContents(grant, deps.redemptions.now()), track === null ? null : { position: track });
    if (check.state !== 'available') throw unavailable(check);
    if (downloadsLeft(grant, check.track?.id ?? null) === 0) throw refuse('used_up');
    // The file must exist before a download is counted.
    const audioTrack = check.track ? { isrc: check.track.isrc, position: check.track.position } : null;
    const file: AudioFile = { releaseId: grant.releaseId, format, track: audioTrack };
    if (!(await deps.storage.open(file, downloadFilename(file, grant.releaseTitle, check.track?.title ?? null)))) {
      request.log.error({ releaseId: grant.releaseId, format, track }, 'audio file missing');
      throw new ProblemError(503, 'file_unavailable', 'The file is not available right now', {
        headers: { 'retry-after': '300' },
      });
    }
    const redeemed = await deps.redemptions.redeem(tokenHash, { format, track }, clientIp);
    // Counted under the grant's lock, the availability checked again (the catalogue may have changed).
    if (redeemed.state === 'not_yet' || redeemed.state === 'no_such_file') throw unavailable(redeemed);
    if (redeemed.state !== 'ok') throw refuse(redeemed.state);
    const url = `/d/${request.params.token}/file/${redeemed.link.key}`;
    if (negotiate(request.headers.accept ?? '', ['text/html', 'application/json']) === 'application/json') {
      return { url, serveUntil: redeemed.link.serveUntil.toISOString() };
    }
    return reply.redirect(url, 303);
  }

  r.get(
    '/d/:token/file/:key',
    {
      schema: {
        tags: ['downloads'],
        summary: 'The file of a counted download',
        description:
          'Sends the file a `POST /d/{token}/download` counted, for a short window: range requests (206) and HEAD ' +
          'count nothing, so a resumed or segmented download uses up one download. Local storage streams the ' +
          'file; a bucket answers 302 to a short-lived presigned URL. One range per request: a request for ' +
          'several ranges (`bytes=0-9,20-29`) is answered with the whole file (200). Checked on every request: ' +
          'after the window 410 `download_link_expired` (ask for the file again on the landing page); a revoked ' +
          'link 404, an expired one 410 `download_expired`; a file moved back into the future 409 ' +
          '`not_available_yet`; a track removed from the release 404 `file_not_found`. A range beyond the file ' +
          'is 416 `range_not_satisfiable` (with `Content-Range: bytes */<size>`); a failed If-Match or ' +
          'If-Unmodified-Since 412 `precondition_failed`. A refusal other than 412, 416 and 5xx is an HTML page ' +
          "with a link back to the landing page when the client prefers `text/html` (the fan's browser).",
        params: tokenParams.extend({ key: z.string().max(100) }),
        response: {
          200: { description: 'The file', content: { 'application/octet-stream': { schema: z.any() } } },
          206: { description: 'A range of the file', content: { 'application/octet-stream': { schema: z.any() } } },
          302: z.undefined().describe('Redirect to the presigned URL (bucket storage)'),
          304: z.undefined().describe('Not modified (If-None-Match / If-Modified-Since)'),
          410: problemJson,
          412: problemJson,
          416: problemJson,
          503: problemJson,
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      privateHeaders(reply);
      try {
        return await serveFile(request, reply);
      } catch (error) {
        // The fan's browser (the 303 of the form, or the file reopened from its downloads list): a page with the way
        // back to the landing page, where the file can be asked for again; API clients get problem+json.
        // Range and precondition refusals (download managers) stay problem+json.
        const page =
          error instanceof ProblemError && error.status < 500 && error.status !== 412 && error.status !== 416;
        if (!page || !prefersHtml(request)) throw error;
        const locale = fanLocale(request.headers['accept-language']);
        const back = `/d/${request.params.token}`;
        return sendErrorPage(reply, error, { detailHtml: fanAdvice(error, locale), back, locale });
      }
    },
  );

  async function serveFile(request: FastifyRequest<{ Params: { token: string; key: string } }>, reply: FastifyReply) {
    // Not limited per link: a segmented download asks for many ranges at once; the key is unguessable.
    const tokenHash = await admit(request, request.params.token, clientIpOf(request), false);
    const { key } = request.params;
    const link = FILE_KEY.test(key) ? await deps.redemptions.fileLink(tokenHash, key) : { state: 'not_found' as const };
    if (link.state === 'link_expired') {
      throw new ProblemError(410, 'download_link_expired', 'This file link has expired: download it again');
    }
    if (link.state === 'not_yet' || link.state === 'no_such_file') throw unavailable(link);
    if (link.state !== 'ok') throw refuse(link.state);
    const { releaseId, releaseTitle, format, track } = link.file;
    const file: AudioFile = { releaseId, format, track: track && { isrc: track.isrc, position: track.position } };
    const filename = downloadFilename(file, releaseTitle, track?.title ?? null);
    const target = await deps.storage.open(file, filename);
    if (!target) {
      request.log.error({ releaseId, format, track: track?.position ?? null }, 'audio file missing');
      throw new ProblemError(503, 'file_unavailable', 'The file is not available right now', {
        headers: { 'retry-after': '300' },
      });
    }
    if (target.kind === 'redirect') return reply.redirect(target.url, 302);
    // @fastify/send: one range per request (several ranges get the whole file, 200), If-Range,
    // ETag/Last-Modified validators, HEAD.
    const sent = await send(request.raw, `/${target.key}`, {
      root: target.root,
      acceptRanges: true,
      cacheControl: false,
      index: false,
      dotfiles: 'deny',
      contentType: false,
    });
    if (sent.type === 'error' && (sent.statusCode === 412 || sent.statusCode === 416)) {
      sent.stream.destroy();
      // problem+json like every other refusal; a 416 keeps Content-Range (the file's size, RFC 9110).
      const contentRange = sent.headers['Content-Range'] ?? sent.headers['content-range'];
      throw sent.statusCode === 416
        ? new ProblemError(416, 'range_not_satisfiable', 'Range not satisfiable', {
            headers: contentRange ? { 'content-range': String(contentRange) } : {},
          })
        : new ProblemError(412, 'precondition_failed', 'Precondition failed');
    }
    if (sent.type !== 'file') {
      sent.stream.destroy();
      throw new ProblemError(503, 'file_unavailable', 'The file is not available right now');
    }
    return reply
      .code(sent.statusCode as 200 | 206 | 304)
      .headers(sent.headers)
      .header('content-type', contentTypeOf(file))
      .header('content-disposition', contentDisposition(filename))
      .send(sent.stream);
  }
}
