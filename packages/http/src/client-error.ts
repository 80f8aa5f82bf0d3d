import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from '@single/logger';
import { PROBLEM_CONTENT_TYPE, ProblemError } from './problem.ts';

/**
 * Requests Node's HTTP parser refuses never reach fastify: there is no request or reply, only the socket
 * (Node's 'clientError' event). They get the same problem+json as every other error, written on the
 * socket, and the connection is closed: after a framing error the parser cannot know where the next
 * request would start (request smuggling), so keeping the connection would be unsafe.
 */

/** Node's parser error codes (llhttp `HPE_*`) by what the client did wrong. */
type ParserError = Error & { code?: string; rawPacket?: unknown; bytesParsed?: number };

function classify(err: ParserError): ProblemError {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      // The request line counts towards Node's header limit: when the parser stopped inside the request
      // line of the packet, it is the URL that is too long. (A URL arriving in many small packets may
      // overflow in one that does not start the line: that answer is 431.)
      return requestLineUnfinished(err.rawPacket, err.bytesParsed)
        ? new ProblemError(414, 'uri_too_long', 'URI too long')
        : new ProblemError(431, 'header_too_large', 'Request header fields too large');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT':
      return new ProblemError(408, 'request_timeout', 'Request timeout');
    case 'HPE_INVALID_METHOD':
      return new ProblemError(400, 'invalid_method', 'Invalid request method');
    case 'HPE_INVALID_URL':
      return new ProblemError(400, 'bad_url', 'Malformed URL');
    default:
      // Bad chunked encoding, Content-Length with Transfer-Encoding, bare LF (llhttp calls it an invalid
      // version or header), invalid header characters…
      return new ProblemError(400, 'malformed_request', 'Malformed HTTP request', {
        detail: 'The request does not follow HTTP/1.1 message framing',
      });
  }
}

const REQUEST_LINE_START = /^[A-Z]{1,16} \S/;

/** True when the packet starts a request line that had no line end where parsing stopped (never logged). */
function requestLineUnfinished(packet: unknown, parsed: number | undefined): boolean {
  if (!Buffer.isBuffer(packet) || packet.length === 0) return false;
  const stoppedAt = Math.min(parsed ?? packet.length, packet.length);
  return REQUEST_LINE_START.test(packet.toString('latin1', 0, 18)) && !packet.subarray(0, stoppedAt).includes(0x0a);
}

/** A complete HTTP/1.1 response carrying `problem`, closing the connection. */
export function problemResponse(problem: ProblemError, requestId: string): string {
  const body = JSON.stringify({ ...problem.toProblem(), requestId });
  return [
    `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? 'Error'}`,
    `Content-Type: ${PROBLEM_CONTENT_TYPE}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    `X-Request-Id: ${requestId}`,
    ...Object.entries(problem.headers).map(([name, value]) => `${name}: ${value}`),
    'Connection: close',
    '',
    body,
  ].join('\r\n');
}

/** Writes the problem when nothing else is being written on the socket, then closes it. */
export function answerOnSocket(socket: Duplex, problem: ProblemError, requestId: string): void {
  // A response of an earlier (pipelined or keep-alive) request may be half written: adding ours would
  // corrupt it. Node's own default handler makes the same check.
  const inProgress = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inProgress?.headersSent) {
    socket.end(problemResponse(problem, requestId));
    // end() flushes, then half-closes: a client that never closes its side must not hold the socket.
    setTimeout(() => socket.destroy(), 1_000).unref();
  } else {
    socket.destroy();
  }
}

/** fastify's `clientErrorHandler`. Logs the parser's code only: the error carries the raw bytes. */
export function clientErrorHandler(logger: Logger) {
  return (err: ParserError, socket: Duplex): void => {
    // A reset connection has nobody left to answer.
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const problem = classify(err);
    const requestId = randomUUID();
    logger.info({ requestId, code: problem.code, status: problem.status, parserError: err.code }, 'request refused');
    answerOnSocket(socket, problem, requestId);
  };
}

/**
 * No service tunnels: Node hands `CONNECT` to a 'connect' listener and, with none, drops the socket
 * without an answer. No resource supports it, so 501 (RFC 9110 15.6.2), not 405.
 */
export function refuseConnect(logger: Logger) {
  return (_request: unknown, socket: Duplex): void => {
    const requestId = randomUUID();
    logger.info({ requestId, code: 'method_not_implemented', status: 501 }, 'request refused');
    answerOnSocket(
      socket,
      new ProblemError(501, 'method_not_implemented', 'Method not implemented', { detail: 'CONNECT is not supported' }),
      requestId,
    );
  };
}
