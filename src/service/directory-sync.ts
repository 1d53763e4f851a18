import { err, ok, type Result } from '../core/result.ts';
import { AccountChanges } from './account-changes.ts';
import { syncEntries } from './directory-sync/entries.ts';
import {
  errorName,
  newRun,
  type DirectorySyncDeps,
  type SyncError,
  type SyncReport,
} from './directory-sync/run-state.ts';
import { appendAudit, NO_REQUEST } from './request-context.ts';

export type { DirectorySyncDeps, SkippedEntry, SyncError, SyncReport } from './directory-sync/run-state.ts';

/**
 * Accounts come from the tenant's directory (`sspr directory sync`, and periodically while `serve`
 * runs). The directory is walked page by page; each entry is matched to its sspr record by the
 * directory's stable id, so a rename in the directory renames the sspr account and keeps its
 * methods, flows and audit trail. Role (administrator from group membership or AD's protected
 * accounts; a global admin is never changed), display name and disabled state follow the directory.
 * An sspr record whose entry is gone (or no longer matches the filter) is disabled, never deleted,
 * its sessions revoked — but only after the whole directory was read: a directory that stops
 * answering mid-sync aborts the sync and nobody is disabled. An account an administrator disabled
 * in sspr stays disabled. Renames that free each other's logins (two people swapping them, a ring)
 * happen together in one transaction. A login another sspr account keeps is never taken over: that
 * entry is skipped with its reason and what to do next. With `trustContactAttributes`, the directory's email and mobile become
 * verified methods, only where the person has none of that kind or the one they have came from the
 * directory (nothing wrote it since the sync did); a method the person registered is never replaced.
 *
 * Where each part lives: this file opens a tenant's directory, reports and audits one sync, and
 * runs the periodic schedule (lease, retry); `directory-sync/entries.ts` is the one run (listing,
 * paging, each entry, disabling the gone); `directory-sync/renames.ts` the renames that free each
 * other's logins; `directory-sync/method-seeding.ts` the trusted methods; the decisions that need
 * no I/O (role of an entry, who stays disabled, why a login is blocked) are in
 * `core/directory-sync-rules.ts`.
 */

/** The actor of the periodic sync in the audit log (`sspr directory sync` is `cli`). */
export const SYNC_ACTOR = 'system:sync';

/** Page size of the directory's listing (the server's paged results control). */
export const SYNC_PAGE_SIZE = 200;

/** Page size of the store's listing of the tenant's directory accounts (looking for accounts gone). */
export const ACCOUNT_PAGE_SIZE = 500;

/** After a periodic sync the directory did not answer, the next try comes this soon (or the interval, if shorter). */
export const SYNC_RETRY_MS = 5 * 60_000;

export class DirectorySync {
  readonly #d: DirectorySyncDeps;
  readonly #changes: AccountChanges;
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<unknown> | null = null;
  #stopping = false;

  constructor(deps: DirectorySyncDeps) {
    this.#d = deps;
    this.#changes = new AccountChanges({ ...deps, publicUrl: deps.publicUrl });
  }

  /**
   * Syncs one tenant's accounts from its directory; `actor` is `cli` or `system:sync`. `pageSize`:
   * entries per page read from the directory; `accountPageSize`: sspr accounts per page read from
   * the store when looking for accounts gone from the directory.
   */
  async syncTenant(
    tenantId: string,
    actor: string,
    options: { readonly pageSize?: number; readonly accountPageSize?: number } = {},
  ): Promise<Result<SyncReport, SyncError>> {
    const { store, directories, clock } = this.#d;
    const tenant = await store.directory.getTenant(tenantId);
    if (!tenant) return err('tenant_not_found', 'There is no such tenant.');
    const opened = await directories.forTenant(tenantId);
    if (!opened.ok) return err('directory_misconfigured', opened.detail ?? 'The directory could not be opened.');
    if (!opened.value) {
      return err(
        'directory_not_configured',
        `Tenant "${tenant.name}" keeps its passwords in sspr: it has no directory.`,
      );
    }
    const stored = await store.directory.getTenantDirectory(tenantId);
    const started = clock.now();
    const run = newRun(tenant, actor, stored?.settings.trustContactAttributes ?? false);
    const failure = await syncEntries(
      { d: this.#d, changes: this.#changes },
      run,
      opened.value,
      options.pageSize ?? SYNC_PAGE_SIZE,
      Math.min(1000, Math.max(1, options.accountPageSize ?? ACCOUNT_PAGE_SIZE)),
    );
    const report: SyncReport = {
      tenant: tenant.name,
      ...run.counts,
      skipped: run.skipped,
      failure,
      tookMs: clock.now() - started,
    };
    await appendAudit(store, {
      at: clock.now(),
      tenantId,
      accountId: null,
      actor,
      type: 'directory.synced',
      outcome: failure ? 'failed' : 'ok',
      rc: NO_REQUEST,
      details: {
        ...run.counts,
        skipped: run.skipped.length,
        failure: failure?.refusal ?? null,
        diagnostic: failure?.detail?.slice(0, 300) ?? null,
      },
    });
    return ok(report);
  }

  // ---- periodic sync (serve) ---------------------------------------------------------------

  /**
   * Syncs every tenant whose directory asks for it (`syncIntervalMinutes` > 0) and whose interval
   * is due. The shared limiter is the lease: one count per tenant per interval across every
   * instance on the database (or Redis), so only one instance syncs a tenant in each interval; a
   * limiter that cannot be reached skips the round. Returns the tenants synced.
   *
   * When the tenant's last sync failed (its `directory.synced` event says `failed`: the directory
   * did not answer), it is tried again `SYNC_RETRY_MS` after that failure (or after the interval,
   * if shorter) instead of a whole interval later. The retry has its own lease, one per failure
   * (`directory-sync:<tenant>:<minutes>:retry:<failed at>`), so one instance retries it; a sync
   * that takes the interval's lease also takes that one, so no retry of the same failure starts
   * alongside it. The interval's lease is untouched: the next regular sync comes when it is free.
   */
  async runDue(): Promise<{ readonly tenantId: string; readonly outcome: Result<SyncReport, SyncError> }[]> {
    const { store, limiter, log, clock } = this.#d;
    if (!limiter) return [];
    const done: { tenantId: string; outcome: Result<SyncReport, SyncError> }[] = [];
    for (const tenant of await store.directory.listTenants()) {
      if (this.#stopping) break;
      const stored = await store.directory.getTenantDirectory(tenant.id);
      const minutes = stored?.settings.syncIntervalMinutes ?? 0;
      if (minutes <= 0) continue;
      const intervalMs = minutes * 60_000;
      const key = `directory-sync:${tenant.id}:${minutes}`;
      const lease = await limiter.consume(key, 1, intervalMs, { failClosed: true });
      if (lease.unavailable) continue;
      let due = lease.allowed;
      const [last] = await store.audit.list({ tenantId: tenant.id, type: 'directory.synced', limit: 1 });
      if (last?.outcome === 'failed') {
        const retry = () => limiter.consume(`${key}:retry:${last.at}`, 1, intervalMs, { failClosed: true });
        const retryMs = Math.min(intervalMs, SYNC_RETRY_MS);
        if (due) await retry();
        else if (retryMs < intervalMs && clock.now() >= last.at + retryMs) due = (await retry()).allowed;
      }
      if (!due) continue;
      const outcome = await this.syncTenant(tenant.id, SYNC_ACTOR);
      done.push({ tenantId: tenant.id, outcome });
      if (!outcome.ok) log?.warn({ tenantId: tenant.id, error: outcome.error }, 'directory sync not possible');
      else if (outcome.value.failure)
        log?.warn(
          { tenantId: tenant.id, refusal: outcome.value.failure.refusal, diagnostic: outcome.value.failure.detail },
          'directory sync stopped: the directory did not answer; nobody was disabled',
        );
      else {
        const { skipped, failure: _f, tenant: _t, ...counts } = outcome.value;
        log?.info({ tenantId: tenant.id, ...counts, skipped: skipped.length }, 'directory synced');
      }
    }
    return done;
  }

  /** Looks for due syncs every `tickMs` (the first look after `firstDelayMs`). */
  start(tickMs = 60_000, firstDelayMs = Math.min(tickMs, 10_000)): void {
    if (this.#timer || this.#stopping || !this.#d.limiter) return;
    const tick = (delay: number): void => {
      this.#timer = setTimeout(() => {
        const run = this.runDue()
          .catch((e: unknown) => this.#d.log?.error({ err: errorName(e) }, 'directory sync failed; will try again'))
          .finally(() => {
            this.#running = null;
            if (!this.#stopping) tick(tickMs);
          });
        this.#running = run;
      }, delay);
      this.#timer.unref();
    };
    tick(firstDelayMs);
  }

  /** Stops the schedule and waits for a sync in progress (it stops after the current tenant). */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    await this.#running;
  }
}
