import { runCli } from './cli/program.ts';
import { processIo } from './cli/output.ts';

process.exitCode = await runCli(process.argv.slice(2), processIo());
