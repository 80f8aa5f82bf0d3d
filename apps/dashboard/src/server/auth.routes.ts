import { ProblemError } from '@single/http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SignInLinks } from './sign-in-links.ts';

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
/** The key's account, from the artist API's `/v1/me`; a refused key is 401 `invalid_api_key`. */
async function accountOf(artistApiUrl: string, apiKey: string) {
  // A key is visible ASCII: anything else cannot travel in the Authorization header (fetch would throw, and that
  // would read as the artist API being down), and no key of the artist API has it.
  if (!/^[\x21-\x7e]+$/.test(apiKey)) {
    throw new ProblemError(401, 'invalid_api_key', 'That API key was not accepted');
  }
  const answer = await fetch(new URL('/v1/me', artistApiUrl), {
    headers: { authorization: `Bearer ${apiKey}` },
    signal: AbortSignal.timeout(5_000),
  }).catch(() => undefined);
  if (!answer) throw new ProblemError(502, 'artist_api_unreachable', 'The artist API did not answer');
  if (answer.status === 401 || answer.status === 403) {
    throw new ProblemError(401, 'invalid_api_key', 'That API key was not accepted');
  }
  if (!answer.ok) throw new ProblemError(502, 'artist_api_error', 'The artist API could not check the key');
  return meResponse.parse(await answer.json()).account;
}

export function registerAuthRoutes(
  app: FastifyInstance,
  options: {
    artistApiUrl: string;
    checkCsrf: Hook;
    signInLinks: SignInLinks;
    /** Gives a session without a CSRF secret the store's derived one, so an anonymous visit stores nothing. */
    seedCsrf: (request: FastifyRequest) => void;
  },
) {
  app.get('/auth/session', async (request, reply) => {
    options.seedCsrf(request);
    const csrfToken = reply.generateCsrf();
    const { account } = request.session;
    return { signedIn: Boolean(request.session.apiKey), account: account ?? null, csrfToken };
  });

  app.post('/auth/sign-in', { preHandler: options.checkCsrf }, async (request, reply) => {
    const parsed = signInBody.safeParse(request.body);
    if (!parsed.success) throw new ProblemError(400, 'validation_failed', 'An API key is required');
    const account = await accountOf(options.artistApiUrl, parsed.data.apiKey);
    // A fresh session id at sign-in: an id planted before sign-in (fixation) never becomes signed in.
    await request.session.regenerate();
    request.session.apiKey = parsed.data.apiKey;
    request.session.account = account;
    return { signedIn: true, account, csrfToken: reply.generateCsrf() };
  });

  // A one-time sign-in link (the demo prints one): a link is followed by a GET, so no CSRF token here; the
  // token is the proof, spent by its first use. Refused (used, expired, unknown): the sign-in form says so.
  // No HEAD route (fastify would add one running this handler): a link checker's HEAD must not spend the link.
  app.get<{ Params: { token: string } }>('/auth/link/:token', { exposeHeadRoute: false }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const apiKey = await options.signInLinks.peek(request.params.token);
    if (!apiKey) return reply.redirect('/?sign_in=link_refused', 303);
    // The key is checked before the link is spent: an artist API that is down must not burn it.
    const checked = await accountOf(options.artistApiUrl, apiKey).then(
      (account) => ({ account }),
      (error: unknown) => ({ refused: error instanceof ProblemError && error.code === 'invalid_api_key' }),
    );
    if (!('account' in checked)) {
      return reply.redirect(checked.refused ? '/?sign_in=link_refused' : '/?sign_in=link_unavailable', 303);
    }
    const { account } = checked;
    // Spending decides between racing uses: only the one whose delete wins signs in.
    if ((await options.signInLinks.consume(request.params.token)) !== apiKey) {
      return reply.redirect('/?sign_in=link_refused', 303);
    }
    await request.session.regenerate();
    request.session.apiKey = apiKey;
    request.session.account = account;
    return reply.redirect('/', 303);
  });

  app.post('/auth/sign-out', { preHandler: options.checkCsrf }, async (request, reply) => {
    // Deletes the server-side entry: the old cookie no longer names a session.
    await request.session.destroy();
    reply.clearCookie('single_dashboard', { path: '/' });
    return reply.code(204).send();
  });
}
