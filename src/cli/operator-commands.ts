import type { Command } from 'commander';
import { CLI_ACTOR, print, withApp, type CliContext } from './cli-context.ts';
import { CliFailure, EXIT_REFUSED, refused } from './cli-failure.ts';
import { formatTable } from './format-table.ts';
import { readPassword } from './read-password.ts';

const HINTS: Readonly<Record<string, string>> = {
  operator_login_invalid:
    'Use 1 to 64 of a-z, 0-9, ".", "_", "-" and "@", e.g. sspr operator add jo.support --name "Jo Support".',
  display_name_invalid: 'Pass a display name with --name "First Last".',
  login_taken: 'Choose another login; see the operators with: sspr operator list',
};

/** `sspr operator add|list`: the Technical Support accounts that sign in at /support. */
export function registerOperatorCommands(program: Command, ctx: CliContext): void {
  const operator = program
    .command('operator')
    .description('Technical Support operators: accounts for the support console at /support');

  operator
    .command('add')
    .description('add an operator (password from standard input, never as an argument)')
    .argument('<login>', 'operator login, e.g. jo.support or jo@ops.example')
    .requiredOption('--name <name>', 'display name, shown in the support console and its audit trail')
    .option(
      '--password-stdin',
      'read the password from standard input (piped: the first line; a terminal: asked twice without echo)',
    )
    .action(async (login: string, opts: { name: string; passwordStdin?: boolean }) => {
      if (!opts.passwordStdin) {
        throw new CliFailure(EXIT_REFUSED, [
          'error: an operator needs a password. Pass it on standard input with --password-stdin. (password_required)',
        ]);
      }
      const password = await readPassword(ctx);
      await withApp(ctx, async (app) => {
        const r = await app.operators.add({ login, displayName: opts.name, password, actor: CLI_ACTOR });
        if (!r.ok) throw refused(r, { login }, HINTS[r.error]);
        print(ctx, `Added operator ${r.value.login} (${r.value.displayName}).`);
        print(ctx, `They sign in at ${app.config.public_url.replace(/\/+$/, '')}/support/signin`);
      });
    });

  operator
    .command('list')
    .description('list operators')
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: { json?: boolean }) => {
      await withApp(ctx, async (app) => {
        const operators = await app.operators.list();
        if (opts.json) {
          print(
            ctx,
            JSON.stringify(
              operators.map((o) => ({
                login: o.login,
                displayName: o.displayName,
                createdAt: new Date(o.createdAt).toISOString(),
              })),
              null,
              2,
            ),
          );
          return;
        }
        if (operators.length === 0) {
          print(ctx, 'No operators yet. Add one with: sspr operator add <login> --name "First Last" --password-stdin');
          return;
        }
        print(
          ctx,
          formatTable(
            ['LOGIN', 'NAME', 'CREATED'],
            operators.map((o) => [o.login, o.displayName, new Date(o.createdAt).toISOString()]),
          ),
        );
      });
    });
}
