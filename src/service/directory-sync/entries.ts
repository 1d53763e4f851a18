import type { CliActor } from '../../core/admin-rules.ts';
import type { Account, Role } from '../../core/directory-model.ts';
import { blockedBy, disabledInSspr, roleOfEntry } from '../../core/directory-sync-rules.ts';
import { ssprLoginOf } from '../../core/directory-settings.ts';
import type { DirectoryEntry, DirectoryResult, ExternalDirectory } from '../../ports/external-directory.ts';
import type { AccountChanges } from '../account-changes.ts';
import { normalizeDisplayName } from '../directory-input.ts';
import { NO_REQUEST } from '../request-context.ts';
import { seedMethods } from './method-seeding.ts';
import { renameTogether } from './renames.ts';
import { auditSyncChange, errorName, type DirectorySyncDeps, type Run, type SyncReport } from './run-state.ts';

/**
 * One sync run over a tenant's directory: the listing page by page, each entry's sspr record
 * brought in line (created, renamed, display name, role, disabled state, methods), the renames
 * that waited for the end of the listing, then the accounts gone from the directory disabled.
 */

/** What one run needs: the sync's ports and the one role change. */
export interface RunParts {
  readonly d: DirectorySyncDeps;
  readonly changes: AccountChanges;
}

/**
 * Reads the whole directory into `run`; once every page was read, applies the deferred renames
 * and disables the accounts gone. Returns the failure that stopped the listing (nobody disabled).
 */
export async function syncEntries(
  p: RunParts,
  run: Run,
  directory: ExternalDirectory,
  pageSize: number,
  accountPageSize: number,
): Promise<SyncReport['failure']> {
  const { seen, deferred, failure } = await walk(p, run, directory, pageSize);
  if (!failure) {
    // renames whose new login another renamed account held until later in the listing, or still
    // holds (two people swapping logins): those that free each other's logins go together first
    if (deferred.length > 0) await renameTogether(p.d, run, deferred);
    for (const entry of deferred) await apply(p, run, entry, true);
    await disableGone(p.d, run, seen, accountPageSize);
  }
  return failure;
}

/** Reads every page; stops at the first page the directory could not give. */
async function walk(
  p: RunParts,
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
        if ((await apply(p, run, entry, false)) === 'deferred') deferred.push(entry);
      }
    }
  } finally {
    await pages.return?.();
  }
}

/** Brings one entry's sspr record in line; `last` is the second try of a deferred rename or creation. */
async function apply(p: RunParts, run: Run, entry: DirectoryEntry, last: boolean): Promise<'done' | 'deferred'> {
  const { d } = p;
  const { store, clock } = d;
  const login = ssprLoginOf(entry.login, run.tenant.domains);
  if (!login) {
    run.skipped.push({ login: entry.login, reason: 'no sspr login can be made of it (the tenant has no domain)' });
    return 'done';
  }
  const displayName = displayNameOf(entry);
  const role = roleOfEntry(entry);
  const existing = await store.directory.findAccountByExternalId(run.tenant.id, entry.id);
  if (!existing) {
    const holder = await store.directory.findAccountByLogin(login);
    if (holder) {
      // a directory account may leave this login later in the listing (renamed): look again at the end
      if (holder.externalId !== null && !last) return 'deferred';
      run.skipped.push({ login, reason: `not created: ${blockedBy(holder, run.renaming, run.seen)}` });
      return 'done';
    }
    const created = await create(d, run, entry, login, displayName, role);
    if (!created) {
      run.skipped.push({ login, reason: 'another sspr account took this login meanwhile' });
      return 'done';
    }
    run.counts.created++;
    if (run.trustContacts) run.counts.methodsSeeded += await seedMethods(d, run, created, entry, false);
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
      run.skipped.push({
        login,
        reason: `not renamed from ${account.login}: ${blockedBy(holder, run.renaming, run.seen)}`,
      });
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
        await auditSyncChange(tx, run, before, now, 'directory.account_renamed', {
          from: before.login,
          to: patch.login,
        });
      if (patch.displayName !== undefined)
        await auditSyncChange(tx, run, before, now, 'directory.account_updated', {
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
    const r = await p.changes.setRole(actor, account, role, NO_REQUEST);
    if (r.ok && r.value.changed) {
      account = r.value.value;
      run.counts.rolesChanged++;
      changed = true;
    }
  }
  // disabled state
  if (entry.disabled && account.enabled) {
    account = (await setEnabled(d, run, account, false, 'disabled_in_directory')) ?? account;
    run.counts.disabled++;
  } else if (!entry.disabled && !account.enabled) {
    if (disabledInSspr(await store.audit.list({ accountId: account.id, limit: 200 }))) {
      run.skipped.push({
        login: account.login,
        reason: 'disabled in sspr by an administrator: stays disabled (sspr user enable to undo)',
      });
    } else {
      account = (await setEnabled(d, run, account, true, 'enabled_in_directory')) ?? account;
      run.counts.enabled++;
    }
  }
  if (run.trustContacts) {
    const seeded = await seedMethods(d, run, account, entry, true);
    run.counts.methodsSeeded += seeded;
    if (seeded > 0) changed = true;
  }
  if (changed) run.counts.updated++;
  if (account === existing && !changed && !run.renamedTogether.has(account.id)) run.counts.unchanged++;
  return 'done';
}

async function create(
  d: DirectorySyncDeps,
  run: Run,
  entry: DirectoryEntry,
  login: string,
  displayName: string,
  role: Role,
): Promise<Account | null> {
  const { store, clock, random } = d;
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
    await auditSyncChange(tx, run, created.value, now, 'account.created', {
      source: 'directory',
      role,
      enabled: !entry.disabled,
    });
    return created.value;
  });
}

/** Disables (revoking its sessions) or enables an account, audited with why. */
async function setEnabled(
  d: DirectorySyncDeps,
  run: Run,
  account: Account,
  enabled: boolean,
  reason: string,
): Promise<Account | null> {
  const now = d.clock.now();
  return d.store.transaction(async (tx) => {
    const updated = await tx.directory.updateAccount(account.id, { enabled }, now);
    if (!updated) return null;
    const sessionsRevoked = enabled ? 0 : await tx.directory.revokeSessions(account.id, now);
    await auditSyncChange(tx, run, account, now, enabled ? 'account.enabled' : 'account.disabled', {
      source: 'directory',
      reason,
      ...(enabled ? {} : { sessionsRevoked }),
    });
    return updated;
  });
}

/**
 * Disables the tenant's directory accounts the listing did not name, reading the store's
 * accounts page by page (by login), so a tenant of any size is covered.
 */
async function disableGone(d: DirectorySyncDeps, run: Run, seen: ReadonlySet<string>, pageSize: number): Promise<void> {
  let wouldBe = 0;
  let afterLogin: string | undefined;
  for (;;) {
    const accounts = await d.store.directory.listAccounts({
      tenantId: run.tenant.id,
      fromDirectory: true,
      limit: pageSize,
      ...(afterLogin !== undefined ? { afterLogin } : {}),
    });
    const gone = accounts.filter((a) => a.externalId !== null && !seen.has(a.externalId) && a.enabled);
    if (run.counts.listed === 0) wouldBe += gone.length;
    else {
      for (const account of gone) {
        if (await setEnabled(d, run, account, false, 'gone_from_directory')) run.counts.removedDisabled++;
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

function displayNameOf(entry: DirectoryEntry): string {
  const name = normalizeDisplayName(entry.displayName);
  if (name.ok) return name.value;
  const login = normalizeDisplayName(entry.login);
  return login.ok ? login.value : entry.login.slice(0, 100);
}
