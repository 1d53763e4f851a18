import type { AuditEventType } from '../../core/audit-events.ts';
import type { Account, Tenant } from '../../core/directory-model.ts';
import type { DirectoryRefusal } from '../../core/directory-rules.ts';
import type { DirectoryProvider } from '../../ports/directory-provider.ts';
import type { Limiter } from '../../ports/limiter.ts';
import type { Logger } from '../../ports/logger.ts';
import type { Repos, Store } from '../../ports/store.ts';
import type { NoticeDeps } from '../admin-common.ts';
import { appendAudit, NO_REQUEST, type AuditDetails } from '../request-context.ts';

/** What the directory sync needs and answers, and what one run of it carries from entry to entry. */

export interface DirectorySyncDeps extends NoticeDeps {
  readonly directories: Pick<DirectoryProvider, 'forTenant'>;
  readonly store: Pick<Store, 'transaction' | 'directory' | 'audit'>;
  readonly log?: Logger;
  /** Shared counters (database or Redis): with several instances, one syncs a tenant per interval. */
  readonly limiter?: Limiter;
  /** The public URL: a seeded method's notice names the reset page. */
  readonly publicUrl?: string;
}

export interface SkippedEntry {
  /** The directory's login of the entry, or the sspr login of the account. */
  readonly login?: string;
  readonly reason: string;
}

export interface SyncReport {
  readonly tenant: string;
  /** Entries the directory listed (matching the filter). */
  readonly listed: number;
  readonly pages: number;
  readonly created: number;
  /** Entries whose display name, role or methods changed. */
  readonly updated: number;
  readonly renamed: number;
  /** Disabled in sspr because they are disabled in the directory. */
  readonly disabled: number;
  readonly enabled: number;
  /** Disabled in sspr because they are no longer in the directory (or no longer match the filter). */
  readonly removedDisabled: number;
  readonly rolesChanged: number;
  readonly methodsSeeded: number;
  readonly unchanged: number;
  readonly skipped: readonly SkippedEntry[];
  /** The directory stopped answering: the sync stopped there and nobody was disabled for being gone. */
  readonly failure: { readonly refusal: DirectoryRefusal; readonly detail: string | null } | null;
  readonly tookMs: number;
}

export type SyncError = 'tenant_not_found' | 'directory_not_configured' | 'directory_misconfigured';

type CountKey =
  | 'listed'
  | 'pages'
  | 'created'
  | 'updated'
  | 'renamed'
  | 'disabled'
  | 'enabled'
  | 'removedDisabled'
  | 'rolesChanged'
  | 'methodsSeeded'
  | 'unchanged';
type Counter = { -readonly [K in CountKey]: number };

/** One sync of one tenant, as it goes. */
export interface Run {
  readonly tenant: Tenant;
  readonly actor: string;
  readonly trustContacts: boolean;
  readonly counts: Counter;
  readonly skipped: SkippedEntry[];
  /** Accounts renamed together with others (a swap or ring of logins) before their entry's last look. */
  readonly renamedTogether: Set<string>;
  /** The directory ids the listing named. */
  readonly seen: Set<string>;
  /** Accounts whose rename waited for the end of the listing, with the login each wants (by account id). */
  readonly renaming: Map<string, string>;
}

/** A run that has read nothing yet. */
export function newRun(tenant: Tenant, actor: string, trustContacts: boolean): Run {
  return {
    tenant,
    actor,
    trustContacts,
    counts: {
      listed: 0,
      pages: 0,
      created: 0,
      updated: 0,
      renamed: 0,
      disabled: 0,
      enabled: 0,
      removedDisabled: 0,
      rolesChanged: 0,
      methodsSeeded: 0,
      unchanged: 0,
    },
    skipped: [],
    renamedTogether: new Set(),
    seen: new Set(),
    renaming: new Map(),
  };
}

/** The audit event of one change the run made to an account (actor: the run's). */
export function auditSyncChange(
  tx: Pick<Repos, 'audit'>,
  run: Run,
  account: Account,
  at: number,
  type: AuditEventType,
  details: AuditDetails,
) {
  return appendAudit(tx, {
    at,
    tenantId: run.tenant.id,
    accountId: account.id,
    actor: run.actor,
    type,
    outcome: 'ok',
    rc: NO_REQUEST,
    details,
  });
}

/** An error as the log and the audit keep it: its code or its class, never its message. */
export function errorName(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : e instanceof Error ? e.name : typeof e;
}
