import { z } from 'zod';
import { DIGEST } from '../images/record.ts';
import { readRecordFile, writeRecordFile } from '../record-file.ts';

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

// A record another job handed over (CD: deploy-staging's artifact) is checked before promote trusts it.
const recordSchema = z.object({
  tag: z.string().min(1),
  repository: z.string().min(1).optional(),
  digest: z.string().regex(DIGEST, 'a digest is sha256:<64 lowercase hex>').optional(),
  deployedAt: z.string(),
  chart: z.string(),
});
const stateSchema = z.record(z.string(), z.record(z.string(), recordSchema));

export function readState(path: string): DeployState {
  return (readRecordFile(path, stateSchema, 'a deploy record', { issuePath: true }) ?? {}) as DeployState;
}

export function recordDeploy(path: string, env: string, project: string, record: DeployRecord): void {
  const state = readState(path);
  state[env] = { ...state[env], [project]: record };
  writeRecordFile(path, state);
}
