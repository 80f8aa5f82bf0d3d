import { API_KEY_FORMAT } from '@single/db/commands/api-keys';
import { ProblemError } from '@single/http';
import type { FastifyInstance } from 'fastify';
import { isServiceToken } from './service-tokens.ts';

/** The artist-API scope that opens geo-reporting's operator routes (cmdr issues it: `cmdr keys create --scopes ops`). */
export const OPS_SCOPE = 'ops';

export interface ReportAuthOptions {
  /** sha256 digests of GEO_REPORTS_TOKENS (serviceTokenDigests). */
  serviceTokens: readonly Buffer[];
  /** An artist-API key's scopes when it is active; left out (no database), only service tokens get in. */
  keyScopes?: (secret: string) => Promise<string[] | undefined>;
}

const unauthorized = () =>
  new ProblemError(401, 'unauthorized', 'A service token or an API key with the ops scope is required', {
    headers: { 'www-authenticate': 'Bearer realm="geo-reporting"' },
  });

function bearer(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer ([^\s]+)$/i.exec(header.trim());
  return match?.[1];
}

/**
 * Every route of `scope` (an encapsulated plugin context) needs `Authorization: Bearer <credential>`: a service
 * token, or an artist-API key (`sgl_...`) that is active and carries the `ops` scope. Checked here, in the
 * app, whatever the ingress does. Unknown, revoked and missing credentials get the same 401; a real key
 * without the scope gets 403.
 */
export function registerReportAuth(scope: FastifyInstance, options: ReportAuthOptions) {
  scope.addHook('onRequest', async (request) => {
    const credential = bearer(request.headers.authorization);
    if (credential === undefined) throw unauthorized();
    if (API_KEY_FORMAT.test(credential) && options.keyScopes) {
      const scopes = await options.keyScopes(credential);
      if (scopes === undefined) throw unauthorized();
      if (!scopes.includes(OPS_SCOPE)) {
        throw new ProblemError(403, 'forbidden', 'The API key lacks the scope this operation needs', {
          detail: `requires scope "${OPS_SCOPE}"`,
        });
      }
      return;
    }
    if (!isServiceToken(credential, options.serviceTokens)) throw unauthorized();
  });
}
