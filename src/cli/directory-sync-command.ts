import type { Command } from 'commander';
import type { SyncReport } from '../service/directory-sync.ts';
import { CLI_ACTOR, print, withApp, type CliContext } from './cli-context.ts';
import { CliFailure, EXIT_REFUSED, oneLine, refused } from './cli-failure.ts';

/** What to do next when a tenant cannot be synced. */
const SYNC_HINTS: Readonly<Record<string, string>> = {
  tenant_not_found: 'See the tenants with: sspr tenant list',
  directory_not_configured: 'Set its directory first: sspr directory set <tenant> --kind ldap|ad …',
  directory_misconfigured: 'Fix the directory settings, then run: sspr directory check <tenant>',
};

/**
 * `sspr directory sync <tenant>`: brings the tenant's accounts in from its directory once (what
 * `serve` does every `syncIntervalMinutes`) and prints what changed. Exit 1 when the directory
 * could not be read (nobody is disabled then).
 */
export function registerDirectorySyncCommand(directory: Command, ctx: CliContext): void {
  directory
    .command('sync')
    .description(
      "bring in the tenant's accounts from its directory: new accounts, renames, names, roles from group membership, disabled state; accounts gone from the directory are disabled (never deleted)",
    )
    .argument('<tenant>', 'tenant name')
    .option('--page-size <n>', 'accounts per page read from the directory', (v) => Number(v))
    .option('--json', 'print the report as JSON')
    .action(async (name: string, opts: { json?: boolean; pageSize?: number }) => {
      await withApp(ctx, async (app) => {
        const tenant = await app.directory.getTenantByName(name);
        if (!tenant.ok) throw refused(tenant, {}, SYNC_HINTS[tenant.error]);
        const pageSize =
          opts.pageSize !== undefined && Number.isInteger(opts.pageSize) && opts.pageSize > 0
            ? Math.min(opts.pageSize, 1000)
            : undefined;
        const r = await app.directorySync.syncTenant(tenant.value.id, CLI_ACTOR, pageSize ? { pageSize } : {});
        if (!r.ok) throw refused(r, {}, SYNC_HINTS[r.error]);
        const report = r.value;
        if (opts.json) print(ctx, JSON.stringify(report, null, 2));
        else printReport(ctx, report);
        if (report.failure) {
          throw new CliFailure(EXIT_REFUSED, [
            `error: the directory stopped answering after ${report.pages} page(s) (${report.failure.refusal}${report.failure.detail ? `: ${oneLine(report.failure.detail)}` : ''}); nobody was disabled. Check it with: sspr directory check "${tenant.value.name}" (directory_unreachable)`,
          ]);
        }
      });
    });
}

function printReport(ctx: CliContext, r: SyncReport): void {
  print(ctx, `Synced "${r.tenant}" from its directory: ${r.listed} account(s) in ${r.pages} page(s), ${r.tookMs} ms.`);
  const lines: [string, number][] = [
    ['created', r.created],
    ['renamed', r.renamed],
    ['updated (name, role or methods)', r.updated],
    ['roles changed', r.rolesChanged],
    ['methods seeded', r.methodsSeeded],
    ['disabled (disabled in the directory)', r.disabled],
    ['enabled', r.enabled],
    ['disabled (gone from the directory)', r.removedDisabled],
    ['unchanged', r.unchanged],
    ['skipped', r.skipped.length],
  ];
  for (const [what, n] of lines) print(ctx, `  ${what}: ${n}`);
  for (const s of r.skipped) {
    print(ctx, `  skipped ${s.login ? oneLine(s.login) : '(tenant)'}: ${oneLine(s.reason)}`);
  }
}
