import type { Command } from 'commander';
import { API_SCOPES } from '../core/admin-rules.ts';
import type { App } from '../service/app.ts';
import type { ApiKeyView } from '../service/api-key-service.ts';
import { CLI_ACTOR, print, withApp, type CliContext } from './cli-context.ts';
import { refused } from './cli-failure.ts';
import { formatTable } from './format-table.ts';

const collect = (value: string, previous: string[]): string[] => [...previous, value];
const DAY_MS = 86_400_000;
/** The longest `--expires-in-days` accepted: about five years. */
export const MAX_EXPIRY_DAYS = 1830;

const HINTS: Readonly<Record<string, string>> = {
  tenant_not_found: 'See the tenants with: sspr tenant list',
  name_invalid: 'Pass a label of 1 to 100 characters with --name "HR sync".',
  scopes_missing: `Pass at least one --scope (${API_SCOPES.join(', ')}).`,
  scope_unknown: 'Repeat --scope for each scope.',
  expiry_invalid: `Pass --expires-in-days with a whole number from 1 to ${MAX_EXPIRY_DAYS}.`,
  key_not_found: 'See the keys of a tenant with: sspr apikey list --tenant <name>',
  already_revoked: 'Nothing to do: the key no longer works.',
};

const MESSAGES: Readonly<Record<string, string>> = {
  scopes_missing: 'no scope given.',
  key_not_found: 'no API key has this id.',
  already_revoked: 'this key is already revoked.',
  not_allowed: 'not allowed.',
};

/** A refusal with a readable message and what to do next. */
function refusal(r: { readonly error: string; readonly detail?: string }) {
  return refused({ error: r.error, detail: r.detail ?? MESSAGES[r.error] ?? r.error }, {}, HINTS[r.error]);
}

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());

function keyJson(k: ApiKeyView, tenantName: string): Record<string, unknown> {
  return {
    id: k.id,
    tenant: tenantName,
    name: k.name,
    scopes: k.scopes,
    status: k.status,
    createdBy: k.createdBy,
    createdAt: iso(k.createdAt),
    lastUsedAt: k.lastUsedAt === null ? null : iso(k.lastUsedAt),
    expiresAt: k.expiresAt === null ? null : iso(k.expiresAt),
    revokedAt: k.revokedAt === null ? null : iso(k.revokedAt),
  };
}

async function tenantByName(app: App, name: string) {
  const t = await app.directory.getTenantByName(name);
  if (!t.ok) throw refusal(t);
  return t.value;
}

/** `sspr apikey create|list|revoke`: the admin API keys of a tenant (the key itself is printed once). */
export function registerApiKeyCommands(program: Command, ctx: CliContext): void {
  const apikey = program
    .command('apikey')
    .description('create, list and revoke admin API keys of a tenant (for /api/v1/admin/…)');

  apikey
    .command('create')
    .description(
      'create an API key; the key is printed once and only its HMAC is stored, so copy it now (it cannot be shown again)',
    )
    .requiredOption('--tenant <name>', 'the tenant the key acts for')
    .requiredOption('--name <label>', 'a label saying who uses the key, e.g. "HR sync"')
    .option('--scope <scope>', `a permission (repeat for more): ${API_SCOPES.join(', ')}`, collect, [])
    .option('--expires-in-days <days>', `the key stops working after this many days (1 to ${MAX_EXPIRY_DAYS})`)
    .option('--json', 'print JSON ({key, token}) instead of text')
    .action(async (opts: { tenant: string; name: string; scope: string[]; expiresInDays?: string; json?: boolean }) => {
      let days: number | null = null;
      if (opts.expiresInDays !== undefined) {
        days = /^\d{1,4}$/.test(opts.expiresInDays) ? Number(opts.expiresInDays) : NaN;
        if (!(days >= 1 && days <= MAX_EXPIRY_DAYS))
          throw refusal({ error: 'expiry_invalid', detail: `"${opts.expiresInDays}" is not a number of days.` });
      }
      await withApp(ctx, async (app) => {
        const tenant = await tenantByName(app, opts.tenant);
        const r = await app.apiKeys.create({
          tenantId: tenant.id,
          name: opts.name,
          scopes: opts.scope,
          expiresAt: days === null ? null : app.clock.now() + days * DAY_MS,
          by: CLI_ACTOR,
        });
        if (!r.ok) throw refusal(r);
        const { key, token } = r.value;
        if (opts.json) {
          print(ctx, JSON.stringify({ key: keyJson(key, tenant.name), token }, null, 2));
          return;
        }
        print(
          ctx,
          `Created API key ${key.id} "${key.name}" for tenant "${tenant.name}" with scopes ${key.scopes.join(', ')}` +
            (key.expiresAt === null ? ' (never expires).' : ` (expires ${iso(key.expiresAt)}).`),
        );
        print(ctx, 'Copy the key now: it is shown only this once (only its HMAC is stored).');
        print(ctx, 'Send it as: Authorization: Bearer <key>');
        print(ctx, token);
      });
    });

  apikey
    .command('list')
    .description("list a tenant's API keys (never the keys themselves)")
    .requiredOption('--tenant <name>', 'the tenant')
    .option('--json', 'print JSON instead of a table')
    .action(async (opts: { tenant: string; json?: boolean }) => {
      await withApp(ctx, async (app) => {
        const tenant = await tenantByName(app, opts.tenant);
        const keys = await app.apiKeys.list(tenant.id);
        if (opts.json) {
          print(
            ctx,
            JSON.stringify(
              keys.map((k) => keyJson(k, tenant.name)),
              null,
              2,
            ),
          );
          return;
        }
        if (keys.length === 0) {
          print(
            ctx,
            `No API keys for "${tenant.name}". Create one with: sspr apikey create --tenant "${tenant.name}" --name <label> --scope users:read`,
          );
          return;
        }
        print(
          ctx,
          formatTable(
            ['ID', 'NAME', 'SCOPES', 'STATUS', 'CREATED', 'LAST USED', 'EXPIRES'],
            keys.map((k) => [
              k.id,
              k.name,
              k.scopes.join(','),
              k.status,
              iso(k.createdAt),
              iso(k.lastUsedAt),
              k.expiresAt === null ? 'never' : iso(k.expiresAt),
            ]),
          ),
        );
      });
    });

  apikey
    .command('revoke')
    .description('revoke an API key for good (requests with it answer 401 from now on)')
    .argument('<keyId>', 'the key id (the part after sspr_, as `sspr apikey list` shows it)')
    .action(async (keyId: string) => {
      await withApp(ctx, async (app) => {
        const r = await app.apiKeys.revoke({ keyId, by: CLI_ACTOR });
        if (!r.ok) throw refusal(r);
        print(ctx, `Revoked API key ${r.value.id} "${r.value.name}".`);
      });
    });
}
