import type { Command } from 'commander';
import type { CliContext } from './cli-context.ts';
import { registerDirectorySettingsCommands } from './directory-settings-commands.ts';
import { registerDirectorySyncCommand } from './directory-sync-command.ts';

/**
 * `sspr directory …`: a tenant's own directory (OpenLDAP, Active Directory) — its settings, the
 * check before the first reset, and the sync of its accounts. Each part registers its
 * subcommands on the one `directory` command.
 */
export function registerExternalDirectoryCommands(program: Command, ctx: CliContext): void {
  const directory = program
    .command('directory')
    .description("a tenant's OpenLDAP or Active Directory: settings, check, sync");
  registerDirectorySettingsCommands(directory, ctx);
  registerDirectorySyncCommand(directory, ctx);
  void directory;
  void ctx;
}
