import type { Account } from '../../core/directory-model.ts';
import { parkingLogin } from '../../core/directory-sync-rules.ts';
import { ssprLoginOf } from '../../core/directory-settings.ts';
import type { DirectoryEntry } from '../../ports/external-directory.ts';
import { auditSyncChange, errorName, type DirectorySyncDeps, type Run } from './run-state.ts';

/**
 * Renames at once, in one transaction, the deferred renames whose new logins are free or held by
 * another of them (two people swapping logins, a ring, a chain): each account whose login another
 * one takes is first parked on a temporary login nobody can hold, so no login is ever held twice
 * and a failure changes nothing (the entries then get their last look one by one, and are skipped
 * with the reason). A rename onto a login an account outside the set holds stays deferred.
 */
export async function renameTogether(
  d: DirectorySyncDeps,
  run: Run,
  deferred: readonly DirectoryEntry[],
): Promise<void> {
  const { store, clock, random, log } = d;
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
        await auditSyncChange(tx, run, m.account, now, 'directory.account_renamed', {
          from: m.account.login,
          to: m.to,
        });
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
