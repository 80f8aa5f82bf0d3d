import { CmdrError, ExitCode } from '../exit-codes.ts';
import { runTool, type ToolResult } from '../run-tool.ts';

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
  return runTool('buildah', buildahArgs(args, env), {
    ...options,
    env,
    // Standard input: `input`, else closed at once (nothing buildah runs here reads it otherwise).
    input: options.input ?? '',
    missing: 'buildah is not installed (apt-get install buildah)',
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
