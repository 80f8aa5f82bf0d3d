import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { z } from 'zod';
import { CmdrError, ExitCode } from './exit-codes.ts';

/**
 * A JSON record cmdr keeps (`.cmdr/state.json`, `.cmdr/images.json`), checked against its schema; undefined when
 * there is none yet. A file another job handed over may be truncated or hand-edited: it is named with what is
 * wrong (`<path> is not <what>…`, with where in it when `issuePath`), never a JSON parser's or TypeError's words.
 */
export function readRecordFile<S extends z.ZodType>(
  path: string,
  schema: S,
  what: string,
  options: { issuePath?: boolean } = {},
): z.output<S> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CmdrError(`${path} is not ${what}: not JSON (${(error as Error).message})`, ExitCode.invalid);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = options.issuePath && issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new CmdrError(`${path} is not ${what}${at}: ${issue?.message}`, ExitCode.invalid);
  }
  return parsed.data;
}

/** Writes a JSON record whole or not at all (a temporary file renamed over it): a reader never sees half of one. */
export function writeRecordFile(path: string, record: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(record, null, 2)}\n`);
  renameSync(partial, path);
}
