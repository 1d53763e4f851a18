import type { Command } from 'commander';
import { ROLES, type Tenant } from '../core/directory-model.ts';
import { LOCALES } from '../core/i18n.ts';
import type { App } from '../service/app.ts';
import type { UserView } from '../service/directory-service.ts';
import { setupDemo, type DemoOutcome } from '../service/demo.ts';
import type { Config } from '../config/schema.ts';
import { CLI_ACTOR, loadCliConfig, print, warn, withApp, type CliContext } from './cli-context.ts';
import { CliFailure, EXIT_REFUSED, refused } from './cli-failure.ts';
import { formatTable } from './format-table.ts';
import { registerImportCommand } from './import-command.ts';
import { readPassword } from './read-password.ts';

const PASSWORD_STDIN_HELP =
  'read the password from standard input (piped: the first line; a terminal: asked twice without echo). ' +
  'Passwords are never accepted as arguments: arguments show up in process lists and shell history.';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `sspr tenant …`, `sspr user …` and `sspr demo`. */
export function registerDirectoryCommands(program: Command, ctx: CliContext): void {
  const tenant = program.command('tenant').description('create and list tenants (organisations and their domains)');

  tenant
    .command('create')
    .description('create a tenant that owns one or more login domains')
    .argument('<name>', 'tenant name, 1 to 100 characters')
    .requiredOption('--domain <domain>', 'a login domain of the tenant (repeat for more)', collect, [])
    .action(async (name: string, opts: { domain: string[] }) => {
      await withApp(ctx, async (app) => {
        const r = await app.directory.createTenant({ name, domains: opts.domain, actor: CLI_ACTOR });
        if (!r.ok) throw refused(r);
        print(ctx, `Created tenant "${r.value.name}" with domain(s) ${r.value.domains.join(', ')}.`);
        print(
          ctx,
          `Next: sspr user add someone@${r.value.domains[0]} --name "First Last" --role admin --password-stdin`,
        );
      });
    });

  tenant
    .command('list')
    .description('list tenants with their domains and active administrators')
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: { json?: boolean }) => {
      await withApp(ctx, async (app) => {
        const tenants = await app.directory.listTenants();
        const rows = await Promise.all(
          tenants.map(async (t) => ({ tenant: t, activeAdmins: await app.directory.countActiveAdmins(t.id) })),
        );
        if (opts.json) {
          print(
            ctx,
            JSON.stringify(
              rows.map(({ tenant: t, activeAdmins }) => tenantJson(t, activeAdmins)),
              null,
              2,
            ),
          );
          return;
        }
        if (rows.length === 0) {
          print(ctx, 'No tenants yet. Create one with: sspr tenant create <name> --domain <domain>');
          return;
        }
        print(
          ctx,
          formatTable(
            ['NAME', 'DOMAINS', 'ACTIVE ADMINS', 'MIN PASSWORD'],
            rows.map(({ tenant: t, activeAdmins }) => [
              t.name,
              t.domains.join(', '),
              activeAdmins < 2 ? `${activeAdmins} (fewer than 2)` : String(activeAdmins),
              String(t.policy.passwordMinLength),
            ]),
          ),
        );
      });
    });

  tenant
    .command('language')
    .description(
      "show or set a tenant's default language and time zone (its pages, emails and SMS; also in the console's Look and words)",
    )
    .argument('<tenant>', 'the tenant name')
    .option('--default-language <locale>', `one of ${LOCALES.join(', ')}; "" clears it (English)`)
    .option('--time-zone <name>', 'an IANA time zone like Europe/Berlin; "" clears it (UTC)')
    .action(async (name: string, opts: { defaultLanguage?: string; timeZone?: string }) => {
      await withApp(ctx, async (app) => {
        const t = await app.directorySettings.tenantNamed(name);
        if (!t.ok) throw refused(t);
        let look = await app.looks.forTenant(t.value.id);
        if (opts.defaultLanguage !== undefined || opts.timeZone !== undefined) {
          const r = await app.looks.updateFromCli({ kind: 'cli', name: CLI_ACTOR }, t.value.id, {
            ...(opts.defaultLanguage !== undefined ? { defaultLocale: opts.defaultLanguage } : {}),
            ...(opts.timeZone !== undefined ? { timeZone: opts.timeZone } : {}),
          });
          if (!r.ok) {
            const detail = 'fields' in r ? r.fields.map((f) => `${f.field}: ${f.message}`).join(' ') : r.detail;
            throw refused({ error: r.error, detail });
          }
          look = r.value;
          print(ctx, `Saved: tenant "${t.value.name}".`);
        }
        print(ctx, `Default language: ${look.defaultLocale ?? 'none (English)'}`);
        print(ctx, `Time zone: ${look.timeZone ?? 'none (UTC)'}`);
      });
    });

  const user = program.command('user').description('add, import, list and change accounts');
  registerImportCommand(user, ctx);

  user
    .command('add')
    .description('add an account; its tenant is found from the domain of the login')
    .argument('<login>', 'user ID, e.g. ada@example.com')
    .requiredOption('--name <display>', 'display name, e.g. "Ada Lovelace"')
    .option('--role <role>', `one of: ${ROLES.join(', ')}`, 'user')
    .option('--password-stdin', PASSWORD_STDIN_HELP)
    .option('--must-change', 'the password must be changed at next sign-in')
    .option('--disabled', 'create the account disabled')
    .action(
      async (
        login: string,
        opts: { name: string; role: string; passwordStdin?: boolean; mustChange?: boolean; disabled?: boolean },
      ) => {
        const password = opts.passwordStdin ? await readPassword(ctx) : undefined;
        await withApp(ctx, async (app) => {
          const r = await app.directory.addUser({
            login,
            displayName: opts.name,
            role: opts.role,
            enabled: !opts.disabled,
            actor: CLI_ACTOR,
            ...(password !== undefined ? { password } : {}),
            ...(opts.mustChange ? { mustChange: true } : {}),
          });
          if (!r.ok) {
            const domain = login
              .slice(login.lastIndexOf('@') + 1)
              .trim()
              .toLowerCase();
            throw refused(
              r,
              { login },
              r.error === 'tenant_not_found'
                ? `Create it first with: sspr tenant create "<name>" --domain ${domain} (see the tenants: sspr tenant list)`
                : undefined,
            );
          }
          const a = r.value;
          print(ctx, `Added ${a.login} (${a.displayName}, ${a.role}${a.enabled ? '' : ', disabled'}).`);
          if (a.passwordHash === null)
            print(ctx, 'No password set; set one with: sspr user set-password <login> --password-stdin');
          print(ctx, `Register contact methods: sspr user set-method ${a.login} email <address>, and phone <+number>`);
        });
      },
    );

  user
    .command('list')
    .description('list accounts')
    .option('--tenant <name>', 'only this tenant')
    .option('--role <role>', `only this role (${ROLES.join(', ')})`)
    .option('--search <text>', 'part of the login or display name')
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: { tenant?: string; role?: string; search?: string; json?: boolean }) => {
      await withApp(ctx, async (app) => {
        const r = await app.directory.listUsers({
          ...(opts.tenant !== undefined ? { tenant: opts.tenant } : {}),
          ...(opts.role !== undefined ? { role: opts.role } : {}),
          ...(opts.search !== undefined ? { search: opts.search } : {}),
        });
        if (!r.ok) throw refused(r);
        if (opts.json) {
          print(ctx, JSON.stringify(r.value.map(userJson), null, 2));
          return;
        }
        if (r.value.length === 0) {
          print(ctx, 'No accounts match.');
          return;
        }
        print(
          ctx,
          formatTable(
            ['LOGIN', 'NAME', 'ROLE', 'STATUS', 'TENANT', 'EMAIL', 'PHONE', 'PASSWORD'],
            r.value.map((u) => [
              u.login,
              u.displayName,
              u.role,
              u.enabled ? 'enabled' : 'disabled',
              u.tenant,
              u.email ?? '-',
              u.phone ?? '-',
              u.passwordSet ? (u.mustChangePassword ? 'must change' : 'set') : 'none',
            ]),
          ),
        );
      });
    });

  user
    .command('set-method')
    .description(
      'set the alternate email or mobile phone of an account (recorded as verified: administrator pre-fill is trusted); ' +
        'a security notice goes to the login address and the alternate email, and to the old one when the email changes',
    )
    .argument('<login>', 'user ID')
    .argument('<kind>', 'email or phone')
    .argument('<value>', 'an address like name@example.com, or a mobile number like +447700900123')
    .action(async (login: string, kind: string, value: string) => {
      await withApp(ctx, async (app) => {
        const r = await app.directory.setMethod({ login, kind, value, actor: CLI_ACTOR });
        if (!r.ok) throw refused(r, { login });
        const m = r.value.method;
        if (!r.value.changed)
          print(ctx, `The ${m.kind} of ${login.trim()} already is ${m.value}; marked verified again.`);
        else print(ctx, `Set the ${m.kind} of ${login.trim()} to ${m.value}.`);
        if (r.value.noticesQueued > 0) {
          // one-shot commands run no message worker: the outbox of a running `sspr serve` delivers them
          print(
            ctx,
            `Queued ${r.value.noticesQueued} security notice(s) to the person's addresses; sspr serve sends them.`,
          );
        }
      });
    });

  user
    .command('set-role')
    .description(`change the role of an account (${ROLES.join(', ')})`)
    .argument('<login>', 'user ID')
    .argument('<role>', ROLES.join(' | '))
    .action(async (login: string, role: string) => {
      await withApp(ctx, async (app) => {
        const r = await app.directory.setRole({ login, role, actor: CLI_ACTOR });
        if (!r.ok) throw refused(r, { login });
        const a = r.value.value;
        print(
          ctx,
          r.value.changed ? `${a.login} is now ${a.role}.` : `${a.login} already is ${a.role}; nothing changed.`,
        );
        await warnFewAdmins(ctx, app, a.tenantId);
      });
    });

  user
    .command('set-password')
    .description('set the password of an account and sign it out everywhere')
    .argument('<login>', 'user ID')
    .option('--password-stdin', PASSWORD_STDIN_HELP)
    .option('--must-change', 'the password must be changed at next sign-in')
    .action(async (login: string, opts: { passwordStdin?: boolean; mustChange?: boolean }) => {
      if (!opts.passwordStdin) {
        throw new CliFailure(EXIT_REFUSED, [
          'error: pass the password on standard input with --password-stdin, e.g. printf \'%s\\n\' "$PASSWORD" | sspr user set-password <login> --password-stdin (never as an argument).',
        ]);
      }
      const password = await readPassword(ctx);
      await withApp(ctx, async (app) => {
        const r = await app.directory.setPassword({
          login,
          password,
          mustChange: opts.mustChange ?? false,
          actor: CLI_ACTOR,
        });
        if (!r.ok) throw refused(r, { login });
        const a = r.value.account;
        print(
          ctx,
          `Set the password of ${a.login}${a.mustChangePassword ? ' (must be changed at next sign-in)' : ''}; ` +
            `${r.value.sessionsRevoked} session(s) signed out.`,
        );
      });
    });

  for (const [name, enabled] of [
    ['disable', false],
    ['enable', true],
  ] as const) {
    user
      .command(name)
      .description(
        enabled
          ? 'enable an account'
          : 'disable an account (no sign-in, no self-service reset) and sign it out everywhere',
      )
      .argument('<login>', 'user ID')
      .action(async (login: string) => {
        await withApp(ctx, async (app) => {
          const input = { login, actor: CLI_ACTOR };
          const r = enabled ? await app.directory.enable(input) : await app.directory.disable(input);
          if (!r.ok) throw refused(r, { login });
          const a = r.value.value;
          print(
            ctx,
            r.value.changed ? `${a.login} is now ${name}d.` : `${a.login} already is ${name}d; nothing changed.`,
          );
          if (!enabled) await warnFewAdmins(ctx, app, a.tenantId);
        });
      });
  }

  program
    .command('demo')
    .description(
      'create a demo tenant "Contoso Demo" (contoso.example) with two administrators and a user, ' +
        'each with an alternate email and a mobile phone; passwords are printed once. Safe to run twice.',
    )
    .action(async () => {
      refuseDemoInProduction(loadCliConfig(ctx));
      await withApp(ctx, async (app) => {
        printDemo(ctx, await setupDemo(app.directory, app.random, CLI_ACTOR), false, app.config.public_url);
      });
    });
}

/** Demo accounts have well-known logins and contact data: never in production. */
export function refuseDemoInProduction(config: Config): void {
  if (config.production) {
    throw new CliFailure(EXIT_REFUSED, [
      'error: the demo tenant is for development only and is not created when NODE_ENV=production. Create real tenants with: sspr tenant create',
    ]);
  }
}

/** Tells what the demo setup did; passwords appear here once and are stored only hashed. */
export function printDemo(ctx: CliContext, outcome: DemoOutcome, serving = false, publicUrl = ''): void {
  if (!outcome.created) {
    print(ctx, 'The demo tenant "Contoso Demo" and its accounts already exist; nothing changed.');
    print(
      ctx,
      '(Passwords were shown when they were created; set a new one with: sspr user set-password <login> --password-stdin)',
    );
  } else {
    print(
      ctx,
      outcome.tenantCreated
        ? 'Created the demo tenant "Contoso Demo" (contoso.example).'
        : 'Completed the demo tenant "Contoso Demo".',
    );
    print(ctx, 'Accounts (passwords are shown only now):');
    print(
      ctx,
      formatTable(
        ['LOGIN', 'ROLE', 'PASSWORD', 'ALTERNATE EMAIL', 'MOBILE PHONE'],
        outcome.accounts.map((a) => [a.login, a.role, a.password, a.email, a.phone]),
      ),
    );
  }
  if (!serving) {
    print(ctx);
    print(ctx, 'Try a password reset:');
    print(ctx, '  1. start the server:  sspr serve');
    print(ctx, `  2. open               ${publicUrl}/reset  and enter user@contoso.example`);
    print(ctx, `  3. read the codes at  ${publicUrl}/dev/outbox`);
  }
}

async function warnFewAdmins(ctx: CliContext, app: App, tenantId: string): Promise<void> {
  const active = await app.directory.countActiveAdmins(tenantId);
  if (active < 2) {
    warn(
      ctx,
      `warning: this tenant has ${active} active administrator(s); have at least 2, so one can help the other.`,
    );
  }
}

function tenantJson(t: Tenant, activeAdmins: number): Record<string, unknown> {
  return { id: t.id, name: t.name, domains: t.domains, policy: t.policy, activeAdmins, createdAt: t.createdAt };
}

function userJson(u: UserView): Record<string, unknown> {
  return { ...u };
}
