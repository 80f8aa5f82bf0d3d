import { Command, CommanderError } from 'commander';
import { CmdrError, ExitCode } from '../exit-codes.ts';
import { Context, type GlobalOptions } from './context.ts';
import { registerDeployCommands } from './deploy-commands.ts';
import { registerImagesCommands } from './images-commands.ts';
import { registerOpsCommands } from './ops-commands.ts';
import { registerOutboxCommands } from './outbox-commands.ts';
import type { Io } from './output.ts';
import { registerUpCommand } from './up-command.ts';

export function buildProgram(io: Io): Command {
  const program = new Command('cmdr')
    .description('Single ops CLI: deploy and promote from projects.yaml, the local platform, and operations')
    .option('--json', 'machine-readable output on stdout')
    .option('--root <dir>', 'repository root (where projects.yaml is); default: found from the current directory')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  const context = () => new Context(io, program.opts<GlobalOptions>());
  registerDeployCommands(program, context);
  registerImagesCommands(program, context);
  registerOpsCommands(program, context);
  registerOutboxCommands(program, context);
  registerUpCommand(program, context);
  // Every subcommand inherits the overrides, so usage errors anywhere come back as exceptions.
  const inherit = (command: Command) => {
    for (const sub of command.commands) {
      sub.exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
      inherit(sub);
    }
  };
  inherit(program);
  return program;
}

/** Runs one invocation and returns the exit code (documented in the README); never calls process.exit. */
export async function runCli(argv: readonly string[], io: Io): Promise<number> {
  const program = buildProgram(io);
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version "errors" are successes; everything else commander rejects is a usage error
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    const code = error instanceof CmdrError ? error.exitCode : ExitCode.failure;
    const message = error instanceof Error ? error.message : String(error);
    if (json) io.out(`${JSON.stringify({ error: { message, exitCode: code } })}\n`);
    io.err(`cmdr: ${message}\n`);
    return code;
  }
}
