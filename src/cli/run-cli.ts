import { Command, CommanderError } from 'commander';
import type { CliContext } from './cli-context.ts';
import { CliFailure, EXIT_OK, EXIT_REFUSED } from './cli-failure.ts';
import { registerDirectoryCommands } from './directory-commands.ts';
import { registerExternalDirectoryCommands } from './external-directory-commands.ts';
import { registerServerCommands } from './server-commands.ts';
import { registerPurgeCommand } from './purge-command.ts';
import { registerAuditCommands } from './audit-commands.ts';
import { registerApiKeyCommands } from './apikey-commands.ts';
import { registerOperatorCommands } from './operator-commands.ts';
import { registerDoctorCommand } from './doctor-command.ts';

/**
 * The `sspr` command line. Exit codes: 0 done; 1 bad input or refused (one line on stderr saying what
 * is wrong and what to do); 2 configuration error (every problem listed).
 */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command()
    .name('sspr')
    .description('Self-service password reset: run the service and administer its directory.')
    .configureOutput({
      writeOut: (s) => void ctx.stdout.write(s),
      writeErr: (s) => void ctx.stderr.write(s),
    })
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  registerServerCommands(program, ctx);
  registerDirectoryCommands(program, ctx);
  registerExternalDirectoryCommands(program, ctx);
  registerPurgeCommand(program, ctx);
  registerAuditCommands(program, ctx);
  registerApiKeyCommands(program, ctx);
  registerOperatorCommands(program, ctx);
  registerDoctorCommand(program, ctx);
  return program;
}

/** Runs one command line; resolves to the exit code (for `serve`, once it is listening). */
export async function runCli(argv: readonly string[], ctx: CliContext): Promise<number> {
  try {
    await buildProgram(ctx).parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (e) {
    if (e instanceof CliFailure) {
      for (const line of e.lines) ctx.stderr.write(line + '\n');
      return e.exitCode;
    }
    // commander already printed its message (or the help/version text)
    if (e instanceof CommanderError) return e.exitCode === 0 ? EXIT_OK : EXIT_REFUSED;
    ctx.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
    return EXIT_REFUSED;
  }
}
