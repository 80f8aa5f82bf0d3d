import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';
import { CmdrError, ExitCode } from '../exit-codes.ts';
import { DIGEST } from '../images/record.ts';

/**
 * What cmdr last deployed, per environment and project: `.cmdr/state.json` at the repository root
 * (or $CMDR_STATE_FILE). It is a local record for `cmdr promote --tag-source state` (dry runs, CI
 * tests, a laptop without cluster access); the cluster itself (`helm get values`) is the default source.
 */
export interface DeployRecord {
  tag: string;
  /** The image deployed, by digest (cmdr images push recorded it); absent in records from before digests. */
  repository?: string;
  digest?: string;
  deployedAt: string;
  chart: string;
}

export type DeployState = Record<string, Record<string, DeployRecord>>;

// A record another job handed over (CD: deploy-staging's artifact) is checked before promote trusts it: a
// truncated or hand-edited file is named with what is wrong, never a JSON parser's or TypeError's words.
const recordSchema = z.object({
  tag: z.string().min(1),
  repository: z.string().min(1).optional(),
  digest: z.string().regex(DIGEST, 'a digest is sha256:<64 lowercase hex>').optional(),
  deployedAt: z.string(),
  chart: z.string(),
});
const stateSchema = z.record(z.string(), z.record(z.string(), recordSchema));

export function readState(path: string): DeployState {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new CmdrError(`${path} is not a deploy record: not JSON (${(error as Error).message})`, ExitCode.invalid);
  }
  const parsed = stateSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const at = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    throw new CmdrError(`${path} is not a deploy record${at}: ${issue?.message}`, ExitCode.invalid);
  }
  return parsed.data as DeployState;
}

export function recordDeploy(path: string, env: string, project: string, record: DeployRecord): void {
  const state = readState(path);
  state[env] = { ...state[env], [project]: record };
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(partial, path);
}
