import type { CliActor } from '../core/admin-rules.ts';
import { maskMethod, normalizeMethod, type MethodKind } from '../core/contact.ts';
import type { Account, Role, Tenant } from '../core/directory-model.ts';
import type { DirectoryRefusal } from '../core/directory-rules.ts';
import { ssprLoginOf } from '../core/directory-settings.ts';
import { helpText, renderEmail } from '../core/message-templates.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { DirectoryProvider } from '../ports/directory-provider.ts';
import type { DirectoryEntry, DirectoryResult, ExternalDirectory } from '../ports/external-directory.ts';
import type { Limiter } from '../ports/limiter.ts';
import type { Logger } from '../ports/logger.ts';
import type { Repos, Store } from '../ports/store.ts';
import { AccountChanges } from './account-changes.ts';
import { emailAccount, type NoticeDeps } from './admin-common.ts';
import { normalizeDisplayName } from './directory-input.ts';
import { appendAudit, NO_REQUEST, type AuditDetails } from './request-context.ts';

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
 */

/** The actor of the periodic sync in the audit log (`sspr directory sync` is `cli`). */
export const SYNC_ACTOR = 'system:sync';

/** Page size of the directory's listing (the server's paged results control). */
export const SYNC_PAGE_SIZE = 200;

/** Page size of the store's listing of the tenant's directory accounts (looking for accounts gone). */
export const ACCOUNT_PAGE_SIZE = 500;

/** After a periodic sync the directory did not answer, the next try comes this soon (or the interval, if shorter). */
export const SYNC_RETRY_MS = 5 * 60_000;

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

interface Run {
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

const STATE_EVENTS = new Set(['account.disabled', 'account.enabled']);

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
    const run: Run = {
      tenant,
      actor,
      trustContacts: stored?.settings.trustContactAttributes ?? false,
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
    const { seen, deferred, failure } = await this.#walk(run, opened.value, options.pageSize ?? SYNC_PAGE_SIZE);
    if (!failure) {
      // renames whose new login another renamed account held until later in the listing, or still
      // holds (two people swapping logins): those that free each other's logins go together first
      if (deferred.length > 0) await this.#renameTogether(run, deferred);
      for (const entry of deferred) await this.#apply(run, entry, true);
      await this.#disableGone(run, seen, Math.min(1000, Math.max(1, options.accountPageSize ?? ACCOUNT_PAGE_SIZE)));
    }
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

  /** Reads every page; stops at the first page the directory could not give. */
  async #walk(
    run: Run,
    directory: ExternalDirectory,
    pageSize: number,
  ): Promise<{ seen: Set<string>; deferred: DirectoryEntry[]; failure: SyncReport['failure'] }> {
    const seen = run.seen;
    const deferred: DirectoryEntry[] = [];
    const pages = directory.list(pageSize)[Symbol.asyncIterator]();
    try {
      for (;;) {
        let page: IteratorResult<DirectoryResult<DirectoryEntry[]>>;
        try {
          page = await pages.next();
        } catch (e) {
          return { seen, deferred, failure: { refusal: 'unreachable', detail: errorName(e) } };
        }
        if (page.done) return { seen, deferred, failure: null };
        const r = page.value;
        if (!r.ok) return { seen, deferred, failure: { refusal: r.error, detail: r.detail ?? null } };
        run.counts.pages++;
        for (const entry of r.value) {
          if (seen.has(entry.id)) continue;
          seen.add(entry.id);
          run.counts.listed++;
          if ((await this.#apply(run, entry, false)) === 'deferred') deferred.push(entry);
        }
      }
    } finally {
      await pages.return?.();
    }
  }

  /** Brings one entry's sspr record in line; `last` is the second try of a deferred rename or creation. */
  async #apply(run: Run, entry: DirectoryEntry, last: boolean): Promise<'done' | 'deferred'> {
    const { store, clock } = this.#d;
    const login = ssprLoginOf(entry.login, run.tenant.domains);
    if (!login) {
      run.skipped.push({ login: entry.login, reason: 'no sspr login can be made of it (the tenant has no domain)' });
      return 'done';
    }
    const displayName = displayNameOf(entry);
    const role: Role = entry.admin || entry.protected ? 'admin' : 'user';
    const existing = await store.directory.findAccountByExternalId(run.tenant.id, entry.id);
    if (!existing) {
      const holder = await store.directory.findAccountByLogin(login);
      if (holder) {
        // a directory account may leave this login later in the listing (renamed): look again at the end
        if (holder.externalId !== null && !last) return 'deferred';
        run.skipped.push({ login, reason: `not created: ${blockedBy(run, holder)}` });
        return 'done';
      }
      const created = await this.#create(run, entry, login, displayName, role);
      if (!created) {
        run.skipped.push({ login, reason: 'another sspr account took this login meanwhile' });
        return 'done';
      }
      run.counts.created++;
      if (run.trustContacts) run.counts.methodsSeeded += await this.#seedMethods(run, created, entry, false);
      return 'done';
    }

    let account = existing;
    let changed = false;
    // login and display name
    const patch: { login?: string; displayName?: string } = {};
    if (account.login !== login) {
      const holder = await store.directory.findAccountByLogin(login);
      if (holder && holder.id !== account.id) {
        if (!last) return 'deferred';
        run.skipped.push({ login, reason: `not renamed from ${account.login}: ${blockedBy(run, holder)}` });
      } else patch.login = login;
    }
    if (account.displayName !== displayName) patch.displayName = displayName;
    if (patch.login !== undefined || patch.displayName !== undefined) {
      const now = clock.now();
      const before = account;
      const updated = await store.transaction(async (tx) => {
        const u = await tx.directory.updateAccount(before.id, patch, now);
        if (!u) return null;
        if (patch.login !== undefined)
          await this.#audit(tx, run, before, now, 'directory.account_renamed', { from: before.login, to: patch.login });
        if (patch.displayName !== undefined)
          await this.#audit(tx, run, before, now, 'directory.account_updated', {
            field: 'displayName',
            from: before.displayName,
            to: patch.displayName,
          });
        return u;
      });
      if (updated) {
        account = updated;
        if (patch.login !== undefined) run.counts.renamed++;
        if (patch.displayName !== undefined) changed = true;
      }
    }
    // role from group membership (the one role change: its audit event and notices)
    if (account.role !== 'global_admin' && account.role !== role) {
      const actor: CliActor = { kind: 'cli', name: run.actor, via: 'directory' };
      const r = await this.#changes.setRole(actor, account, role, NO_REQUEST);
      if (r.ok && r.value.changed) {
        account = r.value.value;
        run.counts.rolesChanged++;
        changed = true;
      }
    }
    // disabled state
    if (entry.disabled && account.enabled) {
      account = (await this.#setEnabled(run, account, false, 'disabled_in_directory')) ?? account;
      run.counts.disabled++;
    } else if (!entry.disabled && !account.enabled) {
      if (await this.#disabledInSspr(account)) {
        run.skipped.push({
          login: account.login,
          reason: 'disabled in sspr by an administrator: stays disabled (sspr user enable to undo)',
        });
      } else {
        account = (await this.#setEnabled(run, account, true, 'enabled_in_directory')) ?? account;
        run.counts.enabled++;
      }
    }
    if (run.trustContacts) {
      const seeded = await this.#seedMethods(run, account, entry, true);
      run.counts.methodsSeeded += seeded;
      if (seeded > 0) changed = true;
    }
    if (changed) run.counts.updated++;
    if (account === existing && !changed && !run.renamedTogether.has(account.id)) run.counts.unchanged++;
    return 'done';
  }

  async #create(
    run: Run,
    entry: DirectoryEntry,
    login: string,
    displayName: string,
    role: Role,
  ): Promise<Account | null> {
    const { store, clock, random } = this.#d;
    const now = clock.now();
    return store.transaction(async (tx) => {
      const created = await tx.directory.createAccount({
        id: random.uuid(),
        tenantId: run.tenant.id,
        login,
        displayName,
        role,
        enabled: !entry.disabled,
        passwordHash: null,
        mustChangePassword: false,
        externalId: entry.id,
        now,
      });
      if (!created.ok) return null;
      await this.#audit(tx, run, created.value, now, 'account.created', {
        source: 'directory',
        role,
        enabled: !entry.disabled,
      });
      return created.value;
    });
  }

  /** Disables (revoking its sessions) or enables an account, audited with why. */
  async #setEnabled(run: Run, account: Account, enabled: boolean, reason: string): Promise<Account | null> {
    const now = this.#d.clock.now();
    return this.#d.store.transaction(async (tx) => {
      const updated = await tx.directory.updateAccount(account.id, { enabled }, now);
      if (!updated) return null;
      const sessionsRevoked = enabled ? 0 : await tx.directory.revokeSessions(account.id, now);
      await this.#audit(tx, run, account, now, enabled ? 'account.enabled' : 'account.disabled', {
        source: 'directory',
        reason,
        ...(enabled ? {} : { sessionsRevoked }),
      });
      return updated;
    });
  }

  /** Whether the account's last disable was not the sync's (an administrator's: it stays). */
  async #disabledInSspr(account: Account): Promise<boolean> {
    const events = await this.#d.store.audit.list({ accountId: account.id, limit: 200 });
    const last = events.find((e) => STATE_EVENTS.has(e.type));
    return last?.type === 'account.disabled' && last.details['source'] !== 'directory';
  }

  /**
   * Renames at once, in one transaction, the deferred renames whose new logins are free or held by
   * another of them (two people swapping logins, a ring, a chain): each account whose login another
   * one takes is first parked on a temporary login nobody can hold, so no login is ever held twice
   * and a failure changes nothing (the entries then get their last look one by one, and are skipped
   * with the reason). A rename onto a login an account outside the set holds stays deferred.
   */
  async #renameTogether(run: Run, deferred: readonly DirectoryEntry[]): Promise<void> {
    const { store, clock, random, log } = this.#d;
    const moves = new Map<string, { readonly account: Account; readonly to: string }>();
    for (const entry of deferred) {
      const to = ssprLoginOf(entry.login, run.tenant.domains);
      const account = await store.directory.findAccountByExternalId(run.tenant.id, entry.id);
      if (to && account && account.login !== to) moves.set(account.id, { account, to });
    }
    for (const [id, m] of moves) run.renaming.set(id, m.to);
    // two entries wanting one login: neither moves here
    const wanted = new Map<string, number>();
    for (const m of moves.values()) wanted.set(m.to, (wanted.get(m.to) ?? 0) + 1);
    for (const [id, m] of moves) if ((wanted.get(m.to) ?? 0) > 1) moves.delete(id);
    // keep the moves whose new login is free or vacated by another move, until none drops out
    for (let dropped = true; dropped;) {
      dropped = false;
      const vacated = new Set([...moves.values()].map((m) => m.account.login));
      for (const [id, m] of moves) {
        if (vacated.has(m.to)) continue;
        const holder = await store.directory.findAccountByLogin(m.to);
        if (holder && holder.id !== id) {
          moves.delete(id);
          dropped = true;
        }
      }
    }
    if (moves.size === 0) return;
    const list = [...moves.values()];
    const targets = new Set(list.map((m) => m.to));
    const now = clock.now();
    try {
      await store.transaction(async (tx) => {
        for (const m of list) {
          if (!targets.has(m.account.login)) continue;
          const parked = await tx.directory.updateAccount(m.account.id, { login: parkingLogin(random.uuid()) }, now);
          if (!parked) throw new Error('account_gone');
        }
        for (const m of list) {
          if (!(await tx.directory.updateAccount(m.account.id, { login: m.to }, now))) throw new Error('account_gone');
          await this.#audit(tx, run, m.account, now, 'directory.account_renamed', { from: m.account.login, to: m.to });
        }
      });
    } catch (e) {
      // changed meanwhile (another sync, an administrator): each entry's last look tells what stays
      log?.warn({ tenantId: run.tenant.id, err: errorName(e) }, 'directory sync: renames that free each other failed');
      return;
    }
    for (const m of list) run.renamedTogether.add(m.account.id);
    run.counts.renamed += list.length;
  }

  /**
   * Disables the tenant's directory accounts the listing did not name, reading the store's
   * accounts page by page (by login), so a tenant of any size is covered.
   */
  async #disableGone(run: Run, seen: ReadonlySet<string>, pageSize: number): Promise<void> {
    let wouldBe = 0;
    let afterLogin: string | undefined;
    for (;;) {
      const accounts = await this.#d.store.directory.listAccounts({
        tenantId: run.tenant.id,
        fromDirectory: true,
        limit: pageSize,
        ...(afterLogin !== undefined ? { afterLogin } : {}),
      });
      const gone = accounts.filter((a) => a.externalId !== null && !seen.has(a.externalId) && a.enabled);
      if (run.counts.listed === 0) wouldBe += gone.length;
      else {
        for (const account of gone) {
          if (await this.#setEnabled(run, account, false, 'gone_from_directory')) run.counts.removedDisabled++;
        }
      }
      if (accounts.length < pageSize) break;
      afterLogin = accounts.at(-1)!.login;
    }
    if (wouldBe > 0) {
      // an empty answer is more likely a wrong base DN or filter than everyone leaving at once
      run.skipped.push({
        reason: `the directory listed no account: nobody was disabled (${wouldBe} would have been; check baseDn and userFilter)`,
      });
    }
  }

  /**
   * Seeds the directory's email and mobile as verified methods where the person has none of that
   * kind, or has the one the directory seeded before (nothing wrote it since). Returns how many
   * were written; an existing account is told of the change like an administrator's pre-fill.
   */
  async #seedMethods(run: Run, account: Account, entry: DirectoryEntry, notify: boolean): Promise<number> {
    const { store, clock } = this.#d;
    const wanted: [MethodKind, string | null][] = [
      ['email', entry.email],
      ['phone', entry.mobile],
    ];
    let written = 0;
    for (const [kind, raw] of wanted) {
      if (raw === null || raw.trim() === '') continue;
      const value = normalizeMethod(kind, raw);
      if (!value.ok) {
        run.skipped.push({
          login: account.login,
          reason: `the directory's ${kind === 'email' ? 'email' : 'mobile'} is not usable (${value.error}); methods left alone`,
        });
        continue;
      }
      const methods = await store.directory.listMethods(account.id);
      const previous = methods.find((m) => m.kind === kind) ?? null;
      if (previous && previous.value === value.value && previous.verifiedAt !== null) continue;
      if (previous && !(await this.#seededBySync(account, kind, previous.updatedAt))) continue;
      const now = clock.now();
      const queued = await store.transaction(async (tx) => {
        await tx.directory.setMethod(account.id, kind, value.value, now, now);
        await this.#audit(tx, run, account, now, 'directory.method_seeded', {
          kind,
          value: maskMethod(kind, value.value),
          previous: previous ? maskMethod(kind, previous.value) : null,
        });
        return notify ? this.#notifyMethod(tx, account, kind, value.value, methods, now) : 0;
      });
      if (queued > 0) this.#d.outbox.wake();
      written++;
    }
    return written;
  }

  /** Whether the method as it is was written by a sync (its last write is a seeding's). */
  async #seededBySync(account: Account, kind: MethodKind, updatedAt: number): Promise<boolean> {
    const events = await this.#d.store.audit.list({
      accountId: account.id,
      type: 'directory.method_seeded',
      since: updatedAt,
      until: updatedAt + 1,
    });
    return events.some((e) => e.details['kind'] === kind);
  }

  /** The pre-fill's notice: to the login address, the alternate email after the change and the one before. */
  async #notifyMethod(
    tx: Repos,
    account: Account,
    kind: MethodKind,
    value: string,
    before: readonly { kind: MethodKind; value: string }[],
    now: number,
  ): Promise<number> {
    const previousEmail = before.find((m) => m.kind === 'email')?.value ?? null;
    const newEmail = kind === 'email' ? value : previousEmail;
    const recipients = new Set(
      [newEmail, kind === 'email' ? previousEmail : null, account.login].filter((x) => x !== null),
    );
    const tenant = await tx.directory.getTenant(account.tenantId);
    const content = renderEmail('security-info.changed', {
      displayName: account.displayName,
      kind,
      maskedValue: maskMethod(kind, value),
      when: new Date(now).toISOString(),
      changedBy: 'directory',
      helpText: helpText(tenant?.policy ?? null),
      resetUrl: this.#d.publicUrl ? `${this.#d.publicUrl.replace(/\/+$/, '')}/reset` : null,
    });
    return emailAccount(
      tx,
      this.#d,
      account,
      { template: 'security-info.changed', content, expiresAt: null },
      recipients,
      now,
    );
  }

  #audit(tx: Pick<Repos, 'audit'>, run: Run, account: Account, at: number, type: string, details: AuditDetails) {
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

function displayNameOf(entry: DirectoryEntry): string {
  const name = normalizeDisplayName(entry.displayName);
  if (name.ok) return name.value;
  const login = normalizeDisplayName(entry.login);
  return login.ok ? login.value : entry.login.slice(0, 100);
}

function collision(holder: Account): string {
  return holder.externalId === null
    ? `an sspr account (not from the directory) already has this login; it is never taken over`
    : `another directory account already has this login in sspr`;
}

/** Why a rename waited in vain for its new login, and what the operator does next. */
function blockedBy(run: Run, holder: Account): string {
  if (holder.externalId === null) return collision(holder);
  const next = run.renaming.get(holder.id);
  if (next !== undefined) {
    return `${holder.login} is itself being renamed, to ${next}, which cannot happen yet (see that line); this follows on the first sync after that one is solved`;
  }
  if (!run.seen.has(holder.externalId)) {
    return `the sspr account of an entry no longer in the directory still has this login (disabled, kept for its audit trail), and sspr never gives one person's login to another: give this entry another login in the directory`;
  }
  return `another entry of the directory has this same login in sspr: give one of the two another login in the directory`;
}

/** A login no person can have (`.invalid` is reserved): held for an instant inside a rename's transaction. */
function parkingLogin(uuid: string): string {
  return `sync-rename-${uuid}@rename.invalid`;
}

function errorName(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : e instanceof Error ? e.name : typeof e;
}
