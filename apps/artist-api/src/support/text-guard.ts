import { ProblemError } from '@single/http';
import type { FastifyInstance } from 'fastify';

/** True when a string anywhere in the value holds U+0000, which PostgreSQL text cannot store. */
export function containsNul(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.includes('\u0000');
  if (depth > 32 || value === null || typeof value !== 'object') return false;
  for (const [key, inner] of Object.entries(value)) {
    if (key.includes('\u0000') || containsNul(inner, depth + 1)) return true;
  }
  return false;
}

/**
 * Rejects NUL characters in params, query and body before validation: they are never meaningful here and
 * PostgreSQL refuses them (a 500 otherwise, found by the fuzz test).
 */
export function rejectNulCharacters(app: FastifyInstance) {
  app.addHook('preValidation', async (request) => {
    if (containsNul(request.params) || containsNul(request.query) || containsNul(request.body)) {
      throw new ProblemError(400, 'invalid_character', 'The request contains a NUL character');
    }
  });
}
