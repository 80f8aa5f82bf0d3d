import { join } from 'node:path';
import { runCli } from '../cli/program.ts';

export const REPO_ROOT = join(import.meta.dirname, '../../../..');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  json<T = unknown>(): T;
}

/** Runs cmdr in-process with captured output, as a script would see it (exit code, stdout, stderr). */
export async function cmdr(
  args: string[],
  env: Record<string, string | undefined> = {},
  options: { tty?: boolean } = {},
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    out: (s) => {
      stdout += s;
    },
    err: (s) => {
      stderr += s;
    },
    errIsTTY: options.tty === true,
    env: { CMDR_ROOT: REPO_ROOT, USER: 'test', ...env },
    cwd: REPO_ROOT,
  });
  return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
}
