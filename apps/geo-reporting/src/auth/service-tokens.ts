import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Whether `candidate` is one of the configured service tokens, in constant time: both sides are hashed to
 * 32 bytes (so neither the length nor a common prefix leaks through timing) and every token is compared,
 * without stopping at the first match.
 */
export function isServiceToken(candidate: string, tokens: readonly Buffer[]): boolean {
  const presented = digest(candidate);
  let found = false;
  for (const token of tokens) found = timingSafeEqual(presented, token) || found;
  return found;
}

/** The tokens as the digests isServiceToken compares (computed once, at start-up). */
export const serviceTokenDigests = (tokens: readonly string[]): Buffer[] => tokens.map(digest);
