import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AllowedMethods } from './allowed-methods.ts';
import { databaseUnavailableProblem, isDatabaseUnavailable } from './database-unavailable.ts';
import { PROBLEM_CONTENT_TYPE, type Problem, ProblemError } from './problem.ts';

// fastify's own error codes mapped to stable problem codes, so that bad input is always a clear 4xx.
const FASTIFY_CODES: Record<string, { status: number; code: string; title: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', title: 'Request body too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', title: 'Unsupported media type' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_content_length', title: 'Invalid Content-Length' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_json', title: 'Empty JSON body' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json', title: 'Invalid JSON body' },
  FST_ERR_CTP_EMPTY_TYPE: { status: 400, code: 'invalid_content_type', title: 'Invalid Content-Type' },
  FST_ERR_CTP_INVALID_TYPE: { status: 400, code: 'invalid_content_type', title: 'Invalid Content-Type' },
  // The router's own (fastify's `frameworkErrors`): a `%` not followed by two hex digits, an over-long
  // path parameter.
  FST_ERR_BAD_URL: { status: 400, code: 'bad_url', title: 'Malformed URL' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'uri_too_long', title: 'URI too long' },
};

type ValidationEntry = NonNullable<FastifyError['validation']>[number];

/**
 * A date field's failure: zod issues of @single/contracts' date schemas carry `params.problem`; ajv's
 * (fastify's own validator) are `format: date | date-time` and ajv-formats' `formatMinimum`/`formatMaximum`.
 */
function isDateFailure(v: ValidationEntry): boolean {
  const params = v.params as { problem?: unknown; params?: { problem?: unknown }; format?: unknown } | undefined;
  if (params?.params?.problem === 'invalid_date' || params?.problem === 'invalid_date') return true;
  if (v.keyword === 'format') return params?.format === 'date' || params?.format === 'date-time';
  return v.keyword === 'formatMinimum' || v.keyword === 'formatMaximum';
}

export function toProblemError(error: FastifyError | Error): ProblemError {
  if (error instanceof ProblemError) return error;
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const context = fastifyError.validationContext ?? 'body';
    const errors = fastifyError.validation.map((v) => ({
      path: `${context}${v.instancePath || ''}`,
      message: v.message ?? 'invalid',
    }));
    const date = fastifyError.validation.find(isDateFailure);
    if (date) {
      // One code for every impossible or out-of-range date or instant, naming the field, so that a client
      // can tell a bad date from other bad input (see @single/contracts calendar-date).
      const parameter = date.instancePath.replace(/^\//, '').replaceAll('/', '.');
      return new ProblemError(400, 'invalid_date', 'Invalid date', {
        detail: `${parameter || context}: ${date.message ?? 'not a valid date'}`,
        extensions: { parameter, in: context, errors },
      });
    }
    return new ProblemError(400, 'validation_failed', 'Request failed validation', {
      detail: fastifyError.message,
      extensions: { errors },
    });
  }
  const known = fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined;
  if (known) return new ProblemError(known.status, known.code, known.title);
  if (error instanceof SyntaxError) return new ProblemError(400, 'invalid_json', 'Invalid JSON body');
  const status = fastifyError.statusCode;
  if (status && status >= 400 && status < 500) {
    return new ProblemError(status, 'bad_request', 'Bad request', { detail: fastifyError.message });
  }
  // A database restart or outage: the client retries, it is not a bug (still logged at error, as 5xx).
  if (isDatabaseUnavailable(error)) return databaseUnavailableProblem();
  return new ProblemError(500, 'internal_error', 'Internal server error');
}

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: ProblemError) {
  const problem: Problem = error.toProblem(request.url.split('?')[0]);
  return reply
    .code(error.status)
    .headers(error.headers)
    .type(PROBLEM_CONTENT_TYPE)
    .send({ ...problem, requestId: request.id });
}

function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  const problem = toProblemError(error);
  // 4xx are the client's doing: logged at info with the code; 5xx with the error (never the body). A 503 the code
  // chose to answer (shutting down, maintenance, overload, a dependency down whose cause it logged) is a warning:
  // the client retries, and a rolling restart must not read as a stream of errors with stacks.
  if (problem.status === 503 && error instanceof ProblemError)
    request.log.warn({ code: problem.code, status: problem.status }, 'request refused, retry later');
  else if (problem.status >= 500) request.log.error({ err: error, code: problem.code }, 'request failed');
  else request.log.info({ code: problem.code, status: problem.status }, 'request rejected');
  return sendProblem(reply, request, problem);
}

/** fastify's `frameworkErrors` option: errors its router raises before any route or hook runs. */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  void handleError(error, request, reply);
}

export function registerErrorHandling(app: FastifyInstance, allowed?: AllowedMethods) {
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    // A path that exists under other methods is 405 with what it does allow; a handler's own
    // callNotFound() (the method matched) stays 404.
    const methods = allowed?.of(request.url) ?? [];
    if (methods.length > 0 && !methods.includes(request.method)) {
      request.log.info({ code: 'method_not_allowed' }, 'method not allowed');
      const allow = methods.join(', ');
      return sendProblem(
        reply,
        request,
        new ProblemError(405, 'method_not_allowed', 'Method not allowed', {
          detail: `${request.method} is not allowed here; allowed: ${allow}`,
          headers: { allow },
          extensions: { allowed: methods },
        }),
      );
    }
    request.log.info({ code: 'not_found' }, 'route not found');
    return sendProblem(reply, request, new ProblemError(404, 'not_found', 'Not found'));
  });
}
