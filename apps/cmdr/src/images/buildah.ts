import { spawn } from 'node:child_process';
import { CmdrError, ExitCode } from '../exit-codes.ts';

export interface ToolResult {
  stdout: string;
  stderr: string;
  code: number;
}

/**
 * buildah as CI runs it: rootful, `vfs` storage (overlay mounts are not available in these sandboxes) and
 * chroot isolation; `CMDR_BUILDAH_STORAGE_DRIVER` picks another driver where overlay works.
 */
function buildahArgs(args: readonly string[], env: NodeJS.ProcessEnv): string[] {
  return ['--storage-driver', env.CMDR_BUILDAH_STORAGE_DRIVER ?? 'vfs', ...args];
}

/** Runs buildah (never through a shell); resolves with its output whatever the exit code. `input` goes to its
 * standard input (a password for `login --password-stdin`: never in its arguments, never logged). */
export function runBuildah(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; onStderr?: (line: string) => void } = {},
): Promise<ToolResult> {
  const env = options.env ?? process.env;
  return new Promise((resolve, reject) => {
    const child = spawn('buildah', buildahArgs(args, env), {
      cwd: options.cwd,
      env: { ...process.env, ...env },
      // Standard input: `input`, else closed at once (nothing buildah runs here reads it otherwise).
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.on('error', () => undefined); // a buildah that exits before reading: its exit code says why
    child.stdin.end(options.input);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      err.push(chunk);
      options.onStderr?.(chunk.toString('utf8'));
    });
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT'
          ? new CmdrError('buildah is not installed (apt-get install buildah)', ExitCode.unavailable)
          : error,
      ),
    );
    child.on('close', (code) =>
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        code: code ?? 1,
      }),
    );
  });
}

/** Like runBuildah, but a non-zero exit becomes a CmdrError carrying buildah's own last lines. */
export async function buildah(
  args: readonly string[],
  options: {
    cwd?: string;
    env?: NodeJS.ProcessEnv;
    input?: string;
    exitCode?: (typeof ExitCode)[keyof typeof ExitCode];
  } = {},
): Promise<ToolResult> {
  const result = await runBuildah(args, options);
  if (result.code !== 0) {
    const said = (result.stderr.trim() || result.stdout.trim()).split('\n').slice(-15).join('\n');
    const unreachable = /connection refused|no such host|i\/o timeout|dial tcp/i.test(said);
    throw new CmdrError(
      `buildah ${args[0]} failed: ${said}`,
      unreachable ? ExitCode.unavailable : (options.exitCode ?? ExitCode.failure),
    );
  }
  return result;
}
