import { ProblemError } from '@single/http';
import { resolveClientIp, type TrustedProxies } from '@single/trusted-proxy';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RateLimit } from '../support/rate-limits.ts';
import { problemResponses } from '../support/responses.ts';
import { type GrantState, grantState, hashToken, type RedemptionService } from './redemption.service.ts';
import { type AudioStorage, DOWNLOAD_FORMATS } from './storage.ts';

export interface DownloadRouteDeps {
  redemptions: RedemptionService;
  storage: AudioStorage;
  trustedProxies: TrustedProxies;
  perIp: RateLimit;
  perToken: RateLimit;
}

const TOKEN = /^[A-Za-z0-9_-]{20,128}$/;

function refuse(state: Exclude<GrantState, 'ok'>): ProblemError {
  if (state === 'expired') return new ProblemError(410, 'download_expired', 'This download link has expired');
  if (state === 'used_up')
    return new ProblemError(410, 'download_limit_reached', 'This download link has been used up');
  // Unknown, revoked and not-yet-delivered links all look the same: no oracle for guessed tokens.
  return new ProblemError(404, 'not_found', 'Download not found');
}

/** `GET /d/:token`: the public link in the fan's email. */
export function registerDownloadRoute(app: FastifyInstance, deps: DownloadRouteDeps) {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/d/:token',
    {
      schema: {
        tags: ['downloads'],
        summary: "Redeem a fan's download link",
        description:
          'Counts a download and answers 302 to a short-lived presigned URL (or the file itself when no bucket is configured). ' +
          'Unknown or revoked links 404; expired or used-up links 410. Rate-limited per client IP and per link.',
        params: z.object({ token: z.string().max(200) }),
        querystring: z.object({ format: z.enum(DOWNLOAD_FORMATS).default('mp3') }),
        response: {
          200: { description: 'The archive (local storage)', content: { 'application/zip': { schema: z.any() } } },
          302: z.undefined().describe('Redirect to the presigned archive URL'),
          410: problemResponses[404],
          ...problemResponses,
        },
      },
    },
    async (request, reply) => {
      reply
        .header('cache-control', 'no-store')
        .header('referrer-policy', 'no-referrer')
        .header('x-robots-tag', 'noindex');
      const { clientIp } = resolveClientIp(
        { remoteAddress: request.socket.remoteAddress, headers: request.headers },
        deps.trustedProxies,
        {
          headerSource: 'x-forwarded-for',
        },
      );
      await deps.perIp.consume(request, clientIp ?? request.socket.remoteAddress ?? 'unknown');
      const { token } = request.params;
      if (!TOKEN.test(token)) throw refuse('not_found');
      const tokenHash = hashToken(token);
      await deps.perToken.consume(request, tokenHash);

      const grant = await deps.redemptions.find(tokenHash);
      const state = grantState(grant, deps.redemptions.now());
      if (state !== 'ok' || !grant) throw refuse(state === 'ok' ? 'not_found' : state);
      const format = request.query.format;
      const target = await deps.storage.open(
        grant.releaseId,
        format,
        `${grant.releaseTitle} (${format.toUpperCase()}).zip`,
      );
      if (!target) {
        request.log.error({ releaseId: grant.releaseId, format }, 'audio archive missing');
        throw new ProblemError(503, 'file_unavailable', 'The file is not available right now', {
          headers: { 'retry-after': '300' },
        });
      }
      const redeemed = await deps.redemptions.redeem(tokenHash, format, clientIp).catch((error: unknown) => {
        if (target.kind === 'stream') target.body.destroy();
        throw error;
      });
      if (redeemed.state !== 'ok') {
        if (target.kind === 'stream') target.body.destroy();
        throw refuse(redeemed.state);
      }
      if (target.kind === 'redirect') return reply.redirect(target.url, 302);
      return reply
        .type(target.contentType)
        .header('content-length', String(target.size))
        .header('content-disposition', `attachment; filename="${target.filename.replace(/[^\x20-\x7e]|["\\]/g, '_')}"`)
        .send(target.body);
    },
  );
}
