import type { Role } from './directory-model.ts';

/**
 * The directory sync's decisions that need no I/O (service/directory-sync.ts sequences them): the
 * role an entry gives, whether an account an administrator disabled stays disabled, why an entry
 * could not take its login (and what the operator does next), the login a rename parks on.
 */

/** Administrator from group membership or AD's protected accounts; a user otherwise. */
export function roleOfEntry(entry: { readonly admin: boolean; readonly protected: boolean }): Role {
  return entry.admin || entry.protected ? 'admin' : 'user';
}

const STATE_EVENTS = new Set(['account.disabled', 'account.enabled']);

/**
 * Whether the account's last disable was not the sync's (an administrator's: it stays disabled
 * although the directory's entry is enabled). `events`: the account's audit events, newest first.
 */
export function disabledInSspr(
  events: readonly { readonly type: string; readonly details: Readonly<Record<string, unknown>> }[],
): boolean {
  const last = events.find((e) => STATE_EVENTS.has(e.type));
  return last?.type === 'account.disabled' && last.details['source'] !== 'directory';
}

/** The sspr account that holds a login an entry wants. */
export interface LoginHolder {
  readonly id: string;
  readonly login: string;
  /** Its directory's stable id; null for an account that is not from the directory. */
  readonly externalId: string | null;
}

/** Why a holder keeps a login an entry wanted to be created with. */
export function collision(holder: Pick<LoginHolder, 'externalId'>): string {
  return holder.externalId === null
    ? `an sspr account (not from the directory) already has this login; it is never taken over`
    : `another directory account already has this login in sspr`;
}

/**
 * Why a rename waited in vain for its new login, and what the operator does next. `renaming`: the
 * logins renamed accounts want (by account id); `seen`: the directory ids the listing named.
 */
export function blockedBy(
  holder: LoginHolder,
  renaming: ReadonlyMap<string, string>,
  seen: ReadonlySet<string>,
): string {
  if (holder.externalId === null) return collision(holder);
  const next = renaming.get(holder.id);
  if (next !== undefined) {
    return `${holder.login} is itself being renamed, to ${next}, which cannot happen yet (see that line); this follows on the first sync after that one is solved`;
  }
  if (!seen.has(holder.externalId)) {
    return `the sspr account of an entry no longer in the directory still has this login (disabled, kept for its audit trail), and sspr never gives one person's login to another: give this entry another login in the directory`;
  }
  return `another entry of the directory has this same login in sspr: give one of the two another login in the directory`;
}

/** A login no person can have (`.invalid` is reserved): held for an instant inside a rename's transaction. */
export function parkingLogin(uuid: string): string {
  return `sync-rename-${uuid}@rename.invalid`;
}
