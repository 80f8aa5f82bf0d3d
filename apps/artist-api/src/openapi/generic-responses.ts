import { problem } from '../support/responses.ts';

/**
 * Answers @single/http gives on every route, before or around the handler, so that the document lists
 * what the server really answers and not only what each route declares: Node's parser and fastify's
 * router (414, 431, 405 with `Allow`), the body limit and content types where a body is read (413, 415),
 * and load shedding or shutdown (503 with `Retry-After`). A route's own entry for a status wins.
 */
const problemContent = { 'application/problem+json': { schema: problem } };
const answer = (description: string) => ({ description, content: problemContent });

const EVERY_ROUTE = {
  405: answer('`method_not_allowed`: the path exists under other methods, listed in `Allow`'),
  414: answer('`uri_too_long`: the request target is over 8 KiB, or a path parameter over 100 characters'),
  431: answer('`header_too_large`: the request line and headers are over 16 KiB (the connection is closed)'),
  503: answer('`overloaded` or `shutting_down`: try again after `Retry-After` seconds'),
};
// Response headers in @fastify/swagger's form (a JSON schema each); the zod transform drops them, so
// they are added to its output.
const HEADERS: Record<string, Record<string, unknown>> = {
  405: { Allow: { type: 'string', description: 'The methods of the path, e.g. `GET, HEAD, PATCH`' } },
  503: { 'Retry-After': { type: 'integer', description: 'Seconds to wait' } },
};
const WITH_BODY = {
  413: answer('`payload_too_large`: the body is over 256 KiB'),
  415: answer('`unsupported_media_type`: the body is not `application/json`'),
};

interface TransformInput {
  schema: { body?: unknown; response?: Record<string, unknown> } & Record<string, unknown>;
  [key: string]: unknown;
}

/** Wraps the document transform (fastify-type-provider-zod's) to add the answers above to every operation. */
export function withGenericResponses<T extends (input: never) => unknown>(transform: T): T {
  const wrapped = (input: TransformInput) => {
    const schema = input.schema ?? {};
    const own = schema.response ?? {};
    const response = { ...EVERY_ROUTE, ...(schema.body ? WITH_BODY : {}), ...own };
    const output = (transform as unknown as (input: TransformInput) => unknown)({
      ...input,
      schema: { ...schema, response },
    });
    const transformed = (output as { schema?: { response?: Record<string, Record<string, unknown>> } }).schema;
    for (const [status, headers] of Object.entries(HEADERS)) {
      const entry = transformed?.response?.[status];
      if (entry && !(status in own)) entry.headers = headers;
    }
    return output;
  };
  return wrapped as unknown as T;
}
