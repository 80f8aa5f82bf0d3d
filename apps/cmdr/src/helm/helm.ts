import { CmdrError, ExitCode } from '../exit-codes.ts';
import { runTool, type ToolResult } from '../run-tool.ts';
import { helmBinary } from './binary.ts';

/** Runs helm with arguments (never through a shell); resolves with its output whatever the exit code. */
export function runHelm(args: readonly string[], options: { cwd?: string } = {}): Promise<ToolResult> {
  // helm writes its caches and repository config under HOME/XDG dirs; keep them out of the repo.
  return runTool(helmBinary(), args, { cwd: options.cwd, env: { HELM_NO_PLUGINS: '1' } });
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
