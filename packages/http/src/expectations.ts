import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Logger } from '@single/logger';
import { PROBLEM_CONTENT_TYPE, ProblemError } from './problem.ts';

/**
 * Three answers Node's HTTP server would give by itself, none of them problem+json, taken over here:
 * - a request without `Host` (Node's requireHostHeader: an empty 400): the server is created with that check
 *   off and `hostProblem` (an onRequest check) answers instead, also for a duplicated `Host`, which Node
 *   silently reduces to the first one;
 * - an `Expect` other than 100-continue (Node's bare 417): 'checkExpectation' answers it;
 * - `Expect: 100-continue` (Node sends `100 Continue` at once, before anything looked at the request):
 *   'checkContinue' sends it only when the request's body is first read, i.e. after routing, credentials
 *   and the route's body limit let it through. fastify refuses a Content-Length over the route's limit
 *   before reading a byte, so an oversized body is answered 413 without ever being invited.
 */

/** The problem for a request whose Host header is missing (HTTP/1.1 requires one) or repeated, else null. */
export function hostProblem(raw: IncomingMessage): ProblemError | null {
  let hosts = 0;
  for (let i = 0; i < raw.rawHeaders.length; i += 2) {
    if (raw.rawHeaders[i]?.toLowerCase() === 'host') hosts++;
  }
  if (hosts === 1 || (hosts === 0 && raw.httpVersion === '1.0')) return null;
  return new ProblemError(400, 'invalid_host', 'Invalid Host header', {
    detail: hosts === 0 ? 'HTTP/1.1 requires a Host header' : 'More than one Host header',
    headers: { connection: 'close' },
  });
}

function sendProblem(res: ServerResponse, problem: ProblemError, requestId: string): void {
  const body = JSON.stringify({ ...problem.toProblem(), requestId });
  res.writeHead(problem.status, {
    ...problem.headers,
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'x-request-id': requestId,
    // The body (if the client sends it anyway) is never read: the connection cannot carry another request.
    connection: 'close',
  });
  res.end(body);
}

export function handleExpectations(server: Server, logger: Logger): void {
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomUUID();
    logger.info({ requestId, code: 'expectation_failed', status: 417 }, 'request refused');
    sendProblem(
      res,
      new ProblemError(417, 'expectation_failed', 'Expectation failed', {
        detail: 'Only Expect: 100-continue is supported',
      }),
      requestId,
    );
    req.resume(); // nothing reads it: let the socket drain until the close
  });
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    // 'resume' is emitted when a reader first asks for the body. After the answer it can only be Node
    // discarding an unread body: then no 100 may follow the final status.
    req.once('resume', () => {
      if (!res.headersSent && !res.writableEnded) res.writeContinue();
    });
    server.emit('request', req, res);
  });
}
