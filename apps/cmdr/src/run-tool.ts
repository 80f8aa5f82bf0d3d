import { spawn } from 'node:child_process';
import { CmdrError, ExitCode } from './exit-codes.ts';

export interface ToolResult {
  stdout: string;
  stderr: string;
  code: number;
}

export interface RunToolOptions {
  cwd?: string;
  /** Laid over cmdr's own environment. */
  env?: NodeJS.ProcessEnv;
  /** Written to the tool's standard input, which is then closed (a password: never in its arguments, never
   * logged); without it the tool's standard input is /dev/null. */
  input?: string;
  onStderr?: (line: string) => void;
  /** What to say (exit 5, unavailable) when the command is not installed; without it spawn's own error. */
  missing?: string;
}

/** Runs a command with its output captured (never through a shell); resolves whatever the exit code. */
export function runTool(command: string, args: readonly string[], options: RunToolOptions = {}): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (options.input !== undefined) {
      child.stdin?.on('error', () => undefined); // a tool that exits before reading: its exit code says why
      child.stdin?.end(options.input);
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      err.push(chunk);
      options.onStderr?.(chunk.toString('utf8'));
    });
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT' && options.missing !== undefined
          ? new CmdrError(options.missing, ExitCode.unavailable)
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
