import {
  actorDescription,
  actorName,
  canManageAccount,
  canView,
  type Actor,
  type Denial,
} from '../core/admin-rules.ts';
import { err, ok, type Result } from '../core/result.ts';
import { deny } from './admin-common.ts';
import { AccountUnlock, type AccountUnlockDeps, type UnlockError } from './account-unlock.ts';
import type { RequestContext } from './request-context.ts';
import type { CallerGate } from './caller-verification-service.ts';
import type { CallerRefusal } from '../core/caller-verification.ts';

/** What the console shows of an account's directory lock. */
export type DirectoryLockState =
  /** Locked after wrong passwords: "Unlock in directory" is offered. */
  | 'locked'
  | 'not_locked'
  /** The directory did not answer (or its settings cannot be used). */
  | 'unknown'
  /** A built-in account, or its tenant has no directory. */
  | 'not_directory';

export type AdminUnlockError = UnlockError | Denial | CallerRefusal | 'account_not_found';

export type AdminUnlockDeps = AccountUnlockDeps & {
  /** The caller verification an unlock needs first (core/caller-verification.ts). */
  readonly callers?: CallerGate;
};

/**
 * An administrator (console, admin API, Technical Support) unlocks a directory account without
 * changing its password: the one unlock (account-unlock.ts), after the rules of core/admin-rules
 * (`canManageAccount`, as an unblock). Audited under the actor; the person is told, and every other
 * admin when the account is an admin.
 */
export class AdminUnlock {
  constructor(private readonly d: AdminUnlockDeps) {}

  /** The account's lock in its directory, read now (`getById`), for the user detail page. */
  async lockState(actor: Actor, accountId: string): Promise<Result<DirectoryLockState, Denial | 'account_not_found'>> {
    const target = await this.d.store.directory.getAccount(accountId);
    if (!target) return err('account_not_found');
    const denial = canView(actor, target);
    if (denial) return err(denial);
    if (!target.externalId) return ok('not_directory');
    const found = await new AccountUnlock(this.d).target(target);
    if (!found.ok) return ok(found.error === 'not_directory_account' ? 'not_directory' : 'unknown');
    return ok(found.value.entry.locked ? 'locked' : 'not_locked');
  }

  async unlock(
    actor: Actor,
    accountId: string,
    via: 'console' | 'api' | 'support',
    rc: RequestContext,
  ): Promise<Result<{ wasLocked: boolean }, AdminUnlockError>> {
    const target = await this.d.store.directory.getAccount(accountId);
    if (!target) return err('account_not_found');
    const denial = canManageAccount(actor, target);
    if (denial) return deny(this.d, actor, target, 'unlock', denial, rc);
    if (!target.externalId) return err('not_directory_account');
    const refusal = await this.d.callers?.requireVerified(actor, target, 'unlock', rc);
    if (refusal) return err(refusal);
    const tenant = await this.d.store.directory.getTenant(target.tenantId);
    const done = await new AccountUnlock(this.d).unlock({
      account: target,
      tenant,
      actor: actorName(actor),
      by: via,
      byText: actorDescription(actor),
      rc,
      actingAccountId: actor.kind === 'admin' ? actor.account.id : null,
    });
    if (!done.ok) return done;
    await this.d.callers?.notifyOwner(target);
    return ok({ wasLocked: done.value.wasLocked });
  }
}
