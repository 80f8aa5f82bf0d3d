import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

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

export function readState(path: string): DeployState {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as DeployState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
}

export function recordDeploy(path: string, env: string, project: string, record: DeployRecord): void {
  const state = readState(path);
  state[env] = { ...state[env], [project]: record };
  mkdirSync(dirname(path), { recursive: true });
  const partial = `${path}.${process.pid}.tmp`;
  writeFileSync(partial, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(partial, path);
}
