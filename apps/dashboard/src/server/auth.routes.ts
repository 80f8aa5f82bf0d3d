import { ProblemError } from '@single/http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

type Hook = (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => void;

const signInBody = z.object({ apiKey: z.string().min(8).max(512) });
const meResponse = z.object({
  account: z.object({ id: z.string(), kind: z.string(), name: z.string() }),
  apiKey: z.object({ id: z.string(), name: z.string(), scopes: z.array(z.string()) }),
});

/**
 * Sign-in, the session's state and sign-out. The key is checked against the artist API's `/v1/me` and
 * then kept in the server-side session only; the browser gets an account name and a CSRF token.
 */
export function registerAuthRoutes(app: FastifyInstance, options: { artistApiUrl: string; checkCsrf: Hook }) {
  app.get('/auth/session', async (request, reply) => {
    const csrfToken = reply.generateCsrf();
    const { account } = request.session;
    return { signedIn: Boolean(request.session.apiKey), account: account ?? null, csrfToken };
  });

  app.post('/auth/sign-in', { preHandler: options.checkCsrf }, async (request, reply) => {
    const parsed = signInBody.safeParse(request.body);
    if (!parsed.success) throw new ProblemError(400, 'validation_failed', 'An API key is required');
    const answer = await fetch(new URL('/v1/me', options.artistApiUrl), {
      headers: { authorization: `Bearer ${parsed.data.apiKey}` },
      signal: AbortSignal.timeout(5_000),
    }).catch(() => undefined);
    if (!answer) throw new ProblemError(502, 'artist_api_unreachable', 'The artist API did not answer');
    if (answer.status === 401 || answer.status === 403) {
      throw new ProblemError(401, 'invalid_api_key', 'That API key was not accepted');
    }
    if (!answer.ok) throw new ProblemError(502, 'artist_api_error', 'The artist API could not check the key');
    const me = meResponse.parse(await answer.json());
    // A fresh session id at sign-in: an id planted before sign-in (fixation) never becomes signed in.
    await request.session.regenerate();
    request.session.apiKey = parsed.data.apiKey;
    request.session.account = me.account;
    return { signedIn: true, account: me.account, csrfToken: reply.generateCsrf() };
  });

  app.post('/auth/sign-out', { preHandler: options.checkCsrf }, async (request, reply) => {
    // Deletes the server-side entry: the old cookie no longer names a session.
    await request.session.destroy();
    reply.clearCookie('single_dashboard', { path: '/' });
    return reply.code(204).send();
  });
}
