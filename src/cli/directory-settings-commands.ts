import type { Command } from 'commander';
import type { CliActor } from '../core/admin-rules.ts';
import type { DirectoryCheckReport, DirectoryCheckStep } from '../core/directory-rules.ts';
import { DIRECTORY_LIMITS, directorySettingsInput, type DirectorySettings } from '../core/directory-settings.ts';
import type { App } from '../service/app.ts';
import type { DirectorySettingsView } from '../service/directory-settings-service.ts';
import { NO_REQUEST } from '../service/request-context.ts';
import { CLI_ACTOR, print, warn, withApp, type CliContext } from './cli-context.ts';
import { CliFailure, EXIT_REFUSED, oneLine } from './cli-failure.ts';

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const ACTOR: CliActor = { kind: 'cli', name: CLI_ACTOR };

/** The `set` flags and the settings they fill (`parseDirectorySettings`'s input names). */
interface SetOptions {
  kind?: string;
  url: string[];
  startTls?: boolean;
  caFile?: string;
  tlsServerName?: string;
  bindDn?: string;
  bindPassword?: string;
  baseDn?: string;
  userFilter?: string;
  loginAttribute?: string;
  displayNameAttribute?: string;
  emailAttribute?: string;
  mobileAttribute?: string;
  adminGroup: string[];
  passwordPolicyDn?: string;
  disabledAttribute?: string;
  trustContactAttributes?: boolean;
  timeoutMs?: string;
  poolSize?: string;
  syncIntervalMinutes?: string;
  testLogin?: string;
  allowInsecure?: boolean;
  json?: boolean;
}

/** The settings input from the flags given (absent flags are absent keys). */
export function settingsInputFromFlags(o: SetOptions): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const put = (name: string, value: unknown) => {
    if (value !== undefined) input[name] = value;
  };
  put('kind', o.kind);
  if (o.url.length > 0) input['urls'] = o.url;
  put('startTls', o.startTls);
  put('caFile', o.caFile);
  put('tlsServerName', o.tlsServerName);
  put('bindDn', o.bindDn);
  put('bindPassword', o.bindPassword);
  put('baseDn', o.baseDn);
  put('userFilter', o.userFilter);
  put('loginAttribute', o.loginAttribute);
  put('displayNameAttribute', o.displayNameAttribute);
  put('emailAttribute', o.emailAttribute);
  put('mobileAttribute', o.mobileAttribute);
  if (o.adminGroup.length > 0) input['adminGroups'] = o.adminGroup;
  put('passwordPolicyDn', o.passwordPolicyDn);
  put('disabledAttribute', o.disabledAttribute);
  put('trustContactAttributes', o.trustContactAttributes);
  put('timeoutMs', o.timeoutMs);
  put('poolSize', o.poolSize);
  put('syncIntervalMinutes', o.syncIntervalMinutes);
  put('testLogin', o.testLogin);
  put('allowInsecure', o.allowInsecure);
  return input;
}

async function tenantOf(app: App, name: string) {
  const tenant = await app.directorySettings.tenantNamed(name);
  if (!tenant.ok)
    throw new CliFailure(EXIT_REFUSED, [`error: ${oneLine(tenant.detail ?? tenant.error)} (tenant_not_found)`]);
  return tenant.value;
}

function settingsRefused(detail: string | undefined, tenant: string): CliFailure {
  return new CliFailure(EXIT_REFUSED, [
    'error: the directory settings were not saved; fix each problem below (invalid_directory_settings):',
    ...(detail ?? '').split('\n').map((line) => `  - ${oneLine(line)}`),
    `See every option with: sspr directory set --help (the saved settings: sspr directory show ${tenant})`,
  ]);
}

const INSECURE_WARNING = [
  'WARNING: allowInsecure is on: passwords may cross the network in clear text (plain LDAP).',
  'WARNING: this is for a lab only. Use ldaps:// or --start-tls, and save again with --no-allow-insecure.',
];

/** The settings as lines for people (`show`); the bind password is its reference, never a secret. */
export function settingsLines(view: DirectorySettingsView): string[] {
  const s = view.settings;
  if (!s) return [`Tenant "${view.tenantName}": builtin (sspr keeps the passwords; no directory).`];
  const kind = s.kind === 'ad' ? 'ad (Active Directory)' : 'ldap (OpenLDAP or another LDAP server)';
  const row = (name: string, value: string) => `  ${name.padEnd(24)}${value}`;
  const lines = [
    `Tenant "${view.tenantName}": ${kind}`,
    row('urls', s.urls.join(' ')),
    row('start TLS', s.startTls ? 'yes' : 'no'),
    row('CA file', s.caFile ?? '(the system’s CAs)'),
    row('TLS server name', s.tlsServerName ?? '(the URL’s host)'),
    row('bind DN', s.bindDn),
    row('bind password', `${s.bindPassword} (a reference; the password is never stored or shown)`),
    row('base DN', s.baseDn),
    row('user filter', s.userFilter),
    row('login attribute', s.attributes.login),
    row('display name attribute', s.attributes.displayName),
    row('email attribute', s.attributes.email ?? '(none)'),
    row('mobile attribute', s.attributes.mobile ?? '(none)'),
    row('admin groups', s.adminGroups.length > 0 ? s.adminGroups.join(' | ') : '(none)'),
    row('password policy DN', s.passwordPolicyDn ?? '(the default)'),
    row(
      'disabled attribute',
      s.disabledAttribute ? `${s.disabledAttribute.name}=${s.disabledAttribute.value}` : '(none)',
    ),
    row('trust contact attrs', s.trustContactAttributes ? 'yes (they seed methods on sync)' : 'no'),
    row('timeout', `${s.timeoutMs} ms`),
    row('pool size', String(s.poolSize)),
    row(
      'sync interval',
      s.syncIntervalMinutes === 0 ? 'off (sspr directory sync only)' : `${s.syncIntervalMinutes} min`,
    ),
    row('test login', s.testLogin ?? '(none: the check cannot probe the rights)'),
    row('allow insecure', s.allowInsecure ? 'YES (lab only: passwords over plain LDAP)' : 'no'),
  ];
  if (view.updatedAt !== null) lines.push(row('saved', new Date(view.updatedAt).toISOString()));
  return lines;
}

const STATUS_WORD: Readonly<Record<DirectoryCheckStep['status'], string>> = {
  pass: 'PASS',
  warn: 'WARN',
  fail: 'FAIL',
  skip: 'SKIP',
};

/** A check report as lines: each step with its status, what was found and what to fix, then the verdict. */
export function checkLines(tenant: string, report: DirectoryCheckReport): string[] {
  const lines: string[] = [];
  for (const step of report.steps) {
    lines.push(`  ${STATUS_WORD[step.status]}  ${oneLine(step.title)}: ${oneLine(step.detail)}`);
    if (step.fix && step.status !== 'pass') lines.push(`        fix: ${oneLine(step.fix)}`);
  }
  const warnings = report.steps.filter((s) => s.status === 'warn').length;
  lines.push(
    report.verdict === 'ready'
      ? `Verdict: ready: resets will work${warnings > 0 ? ` (${warnings} warning${warnings > 1 ? 's' : ''} above to know about)` : ''}.`
      : `Verdict: not ready: resets will not work. Fix the failed steps above, then run again: sspr directory check ${quoteArg(tenant)}`,
  );
  return lines;
}

function settingsJson(view: DirectorySettingsView) {
  return {
    tenant: view.tenantName,
    kind: view.kind,
    settings: view.settings ? directorySettingsInput(view.settings) : null,
    updatedAt: view.updatedAt,
  };
}

/**
 * `sspr directory set|show|remove|check`: a tenant's directory settings and the check before the
 * first reset. Registered on the `directory` command by `external-directory-commands.ts`.
 */
export function registerDirectorySettingsCommands(directory: Command, ctx: CliContext): void {
  directory
    .command('set')
    .description(
      "save a tenant's directory (OpenLDAP or Active Directory); flags not given keep their saved value (kind changed: start afresh). " +
        'The bind password is given as a reference only (env:NAME or file:/path), read by the sspr process; it is never stored or printed.',
    )
    .argument('<tenant>', 'the tenant name')
    .option('--kind <kind>', 'ldap (OpenLDAP and other LDAP servers) or ad (Active Directory, Samba AD)')
    .option(
      '--url <url>',
      'a server, ldaps://host:636 or ldap://host:389 with --start-tls (repeat: tried in order)',
      collect,
      [],
    )
    .option('--start-tls', 'upgrade ldap:// connections with StartTLS')
    .option('--no-start-tls', 'no StartTLS')
    .option('--ca-file <path>', 'a PEM file with the CA that signs the servers’ certificates (absolute path)')
    .option('--tls-server-name <name>', 'the name in the servers’ certificate, when the URL’s host is not it')
    .option('--bind-dn <dn>', 'the service account sspr binds as to find, reset and unlock accounts')
    .option('--bind-password <ref>', 'env:VARIABLE or file:/absolute/path holding the service account’s password')
    .option('--base-dn <dn>', 'where the accounts are, e.g. ou=people,dc=example,dc=com')
    .option('--user-filter <filter>', 'the search filter with {login} where the typed login goes (escaped)')
    .option('--login-attribute <name>', 'the attribute people sign in with (uid, sAMAccountName, userPrincipalName)')
    .option('--display-name-attribute <name>', 'the attribute with the person’s name')
    .option('--email-attribute <name>', 'the alternate email attribute ("-": none)')
    .option('--mobile-attribute <name>', 'the mobile phone attribute ("-": none)')
    .option('--admin-group <dn>', 'a group whose members are administrators in sspr (repeat for more)', collect, [])
    .option('--password-policy-dn <dn>', 'OpenLDAP: the default ppolicy entry')
    .option('--disabled-attribute <name=value>', 'an attribute and value that mark a disabled account')
    .option('--trust-contact-attributes', 'the email and mobile attributes seed people’s methods on sync')
    .option('--no-trust-contact-attributes', 'people register their methods in sspr')
    .option(
      '--timeout-ms <ms>',
      `per operation (${DIRECTORY_LIMITS.timeoutMs.min} to ${DIRECTORY_LIMITS.timeoutMs.max}, default ${DIRECTORY_LIMITS.timeoutMs.default})`,
    )
    .option(
      '--pool-size <n>',
      `connections kept open (${DIRECTORY_LIMITS.poolSize.min} to ${DIRECTORY_LIMITS.poolSize.max})`,
    )
    .option('--sync-interval-minutes <n>', 'minutes between periodic syncs (0: only sspr directory sync)')
    .option('--test-login <login>', 'an ordinary account the check looks up (never changed)')
    .option('--allow-insecure', 'LAB ONLY: allow password operations over plain ldap:// (warned everywhere)')
    .option('--no-allow-insecure', 'refuse plain LDAP (the default)')
    .option('--json', 'print the saved settings as JSON')
    .action(async (tenantName: string, opts: SetOptions) => {
      await withApp(ctx, async (app) => {
        const tenant = await tenantOf(app, tenantName);
        const current = await app.directorySettings.get(ACTOR, tenant.id);
        const flags = settingsInputFromFlags(opts);
        const saved = current.ok ? current.value.settings : null;
        // flags not given keep their saved value, unless the kind changes (other defaults)
        const base =
          saved && (flags['kind'] === undefined || flags['kind'] === saved.kind) ? directorySettingsInput(saved) : {};
        const r = await app.directorySettings.set(ACTOR, tenant.id, { ...base, ...flags }, NO_REQUEST);
        if (!r.ok) {
          if (r.error === 'invalid_directory_settings') throw settingsRefused(r.detail, tenant.name);
          throw new CliFailure(EXIT_REFUSED, [`error: ${oneLine(r.detail ?? r.error)} (${r.error})`]);
        }
        const { settings, changed, created } = r.value;
        if (settings.allowInsecure) for (const line of INSECURE_WARNING) warn(ctx, line);
        if (opts.json) {
          const view = await app.directorySettings.get(ACTOR, tenant.id);
          if (view.ok) print(ctx, JSON.stringify({ ...settingsJson(view.value), changed }, null, 2));
          return;
        }
        if (changed.length === 0) print(ctx, `Nothing changed: tenant "${tenant.name}" already has these settings.`);
        else if (created)
          print(
            ctx,
            `Saved: tenant "${tenant.name}" now resets passwords in ${settings.kind === 'ad' ? 'Active Directory' : 'its LDAP directory'}.`,
          );
        else print(ctx, `Saved: tenant "${tenant.name}", changed ${changed.join(', ')}.`);
        if (changed.length > 0) print(ctx, 'The other administrators of the tenant are told by email.');
        print(ctx, `Next: sspr directory check ${quoteArg(tenant.name)}`);
      });
    });

  directory
    .command('show')
    .description("print a tenant's directory settings (the bind password only as its reference)")
    .argument('<tenant>', 'the tenant name')
    .option('--json', 'print JSON instead of text')
    .action(async (tenantName: string, opts: { json?: boolean }) => {
      await withApp(ctx, async (app) => {
        const tenant = await tenantOf(app, tenantName);
        const view = await app.directorySettings.get(ACTOR, tenant.id);
        if (!view.ok) throw new CliFailure(EXIT_REFUSED, [`error: ${view.error}`]);
        if (opts.json) print(ctx, JSON.stringify(settingsJson(view.value), null, 2));
        else for (const line of settingsLines(view.value)) print(ctx, line);
      });
    });

  directory
    .command('remove')
    .description('remove the tenant’s directory: sspr keeps the passwords again (builtin)')
    .argument('<tenant>', 'the tenant name')
    .action(async (tenantName: string) => {
      await withApp(ctx, async (app) => {
        const tenant = await tenantOf(app, tenantName);
        const r = await app.directorySettings.remove(ACTOR, tenant.id, NO_REQUEST);
        if (!r.ok) throw new CliFailure(EXIT_REFUSED, [`error: ${oneLine(r.detail ?? r.error)} (${r.error})`]);
        if (!r.value.removed) {
          print(ctx, `Tenant "${tenant.name}" has no directory: sspr already keeps its passwords.`);
          return;
        }
        print(ctx, `Removed: tenant "${tenant.name}" keeps its passwords in sspr again (builtin).`);
        print(ctx, 'The other administrators of the tenant are told by email.');
        if (r.value.directoryAccounts > 0)
          print(
            ctx,
            `${r.value.directoryAccounts} account(s) came from the directory and have no password in sspr: they reset it (self-service) or get one with: sspr user set-password <login> --password-stdin`,
          );
      });
    });

  directory
    .command('check')
    .description(
      'check the saved settings before the first reset: each URL and its certificate, the service account, the test account, the password rules and the rights (nobody is changed). Exit 0 only when ready.',
    )
    .argument('<tenant>', 'the tenant name')
    .option('--json', 'print the report as JSON')
    .action(async (tenantName: string, opts: { json?: boolean }) => {
      const verdict = await withApp(ctx, async (app) => {
        const tenant = await tenantOf(app, tenantName);
        const r = await app.directorySettings.check(ACTOR, tenant.id, NO_REQUEST);
        if (!r.ok) {
          if (r.error === 'directory_not_configured')
            throw new CliFailure(EXIT_REFUSED, [
              `error: tenant "${tenant.name}" has no directory: sspr keeps its passwords. Save one first with: sspr directory set ${quoteArg(tenant.name)} --kind ldap|ad --url … --bind-dn … --bind-password env:NAME --base-dn … (directory_not_configured)`,
            ]);
          throw new CliFailure(EXIT_REFUSED, [`error: ${oneLine(r.detail ?? r.error)} (${r.error})`]);
        }
        const { report, settings } = r.value;
        if (opts.json) {
          print(ctx, JSON.stringify({ tenant: tenant.name, kind: settings.kind, ...report }, null, 2));
        } else {
          print(
            ctx,
            `Directory check of tenant "${tenant.name}" (${kindLabel(settings)}, ${settings.urls.join(' ')}):`,
          );
          for (const line of checkLines(tenant.name, report)) print(ctx, line);
        }
        return report.verdict;
      });
      // the report is the output: a not-ready verdict exits 1 without another message
      if (verdict !== 'ready') throw new CliFailure(EXIT_REFUSED, []);
    });
}

function kindLabel(s: DirectorySettings): string {
  return s.kind === 'ad' ? 'Active Directory' : 'LDAP';
}

function quoteArg(s: string): string {
  return /^[A-Za-z0-9._@-]+$/.test(s) ? s : `"${s.replace(/(["\\$`])/g, '\\$1')}"`;
}
