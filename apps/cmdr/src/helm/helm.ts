import { spawn } from 'node:child_process';
import { CmdrError, ExitCode } from '../exit-codes.ts';
import { helmBinary } from './binary.ts';

export interface HelmResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs helm with arguments (never through a shell); resolves with its output whatever the exit code. */
export function runHelm(args: readonly string[], options: { cwd?: string } = {}): Promise<HelmResult> {
  const bin = helmBinary();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      cwd: options.cwd,
      // helm writes its caches and repository config under HOME/XDG dirs; keep them out of the repo.
      env: { ...process.env, HELM_NO_PLUGINS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        code: code ?? 1,
      }),
    );
  });
}

/** Like runHelm, but a non-zero exit becomes a CmdrError carrying helm's own message. */
export async function helm(args: readonly string[], options: { cwd?: string; exitCode?: number } = {}) {
  const result = await runHelm(args, options);
  if (result.code !== 0) {
    const unreachable = /cluster unreachable|context "[^"]*" does not exist|connection refused|no such host/i;
    const code = unreachable.test(result.stderr)
      ? ExitCode.unavailable
      : ((options.exitCode ?? ExitCode.failure) as (typeof ExitCode)[keyof typeof ExitCode]);
    throw new CmdrError(`helm ${args[0]} failed: ${result.stderr.trim() || result.stdout.trim()}`, code);
  }
  return result;
}
