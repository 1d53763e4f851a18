import type { Account, Role } from './directory-model.ts';
import { noticeName, noticePhrase, type NoticeWords } from './message-templates.ts';

/**
 * Who may do what to whom in the admin console, the admin API and the support console. One
 * place, pure: every use case asks here before it acts.
 */
export type Actor =
  /** A signed-in administrator of a tenant. */
  | { readonly kind: 'admin'; readonly account: Account }
  /** An operator of the service (Technical Support), acting on a support ticket. */
  | { readonly kind: 'operator'; readonly operatorId: string; readonly login: string }
  /** An admin API key of a tenant, with scopes. */
  | {
      readonly kind: 'api_key';
      readonly keyId: string;
      readonly tenantId: string;
      readonly scopes: readonly ApiScope[];
    };

/**
 * The installation's operator at the command line (`sspr user …`): trusted with every account of
 * every tenant, so no rule below applies; audited under `name` (`cli`). Not an `Actor`, so no
 * console, API or support use case can be handed one by mistake.
 */
export interface CliActor {
  readonly kind: 'cli';
  readonly name: string;
  /** `directory`: a directory sync (`system:sync`, `sspr directory sync`) applies the directory's change. */
  readonly via?: 'directory';
}

/** Who changes an account in the shared account-administration use cases (role change, pre-fill). */
export type ChangeActor = Actor | CliActor;

export type ApiScope =
  | 'users:read'
  | 'users:write'
  | 'resets:write'
  | 'help:read'
  | 'help:write'
  | 'audit:read'
  | 'directory:read'
  | 'directory:write'
  | 'look:read'
  | 'look:write'
  | 'policy:read'
  | 'policy:write';
export const API_SCOPES: readonly ApiScope[] = [
  'users:read',
  'users:write',
  'resets:write',
  'help:read',
  'help:write',
  'audit:read',
  'directory:read',
  'directory:write',
  'look:read',
  'look:write',
  'policy:read',
  'policy:write',
];

export type Denial = 'other_tenant' | 'self' | 'needs_global_admin' | 'scope_missing' | 'not_allowed';

/** The audit trail's name for an actor: `admin:<id>`, `operator:<id>`, `api_key:<id>`, `cli`. */
export function actorName(actor: ChangeActor): string {
  switch (actor.kind) {
    case 'cli':
      return actor.name;
    case 'admin':
      return `admin:${actor.account.id}`;
    case 'operator':
      return `operator:${actor.operatorId}`;
    case 'api_key':
      return `api_key:${actor.keyId}`;
  }
}

export function actorTenant(actor: ChangeActor): string | null {
  return actor.kind === 'admin' ? actor.account.tenantId : actor.kind === 'api_key' ? actor.tenantId : null;
}

const isAdmin = (role: Role) => role === 'admin' || role === 'global_admin';

/** May the actor see this account at all? Tenants are walls: nothing of tenant B is visible from A. */
export function canView(
  actor: Actor,
  target: Pick<Account, 'tenantId'>,
  scope: ApiScope = 'users:read',
): Denial | null {
  if (actor.kind === 'operator') return null;
  if (actorTenant(actor) !== target.tenantId) return 'other_tenant';
  if (actor.kind === 'api_key' && !actor.scopes.includes(scope)) return 'scope_missing';
  return null;
}

/**
 * May the actor reset (or otherwise change the credentials of) this account? Nobody resets
 * themselves through the console; a tenant admin resets users; only a global admin resets an
 * admin or a global admin. API keys act like a tenant admin (users only). Operators only issue
 * reset links after verifying the requester on a support ticket (checked by the support use case).
 */
export function canManageCredentials(actor: Actor, target: Account): Denial | null {
  const view = canView(actor, target, 'resets:write');
  if (view) return view;
  if (actor.kind === 'operator') return null;
  if (actor.kind === 'admin') {
    if (actor.account.id === target.id) return 'self';
    if (isAdmin(target.role) && actor.account.role !== 'global_admin') return 'needs_global_admin';
    return null;
  }
  return isAdmin(target.role) ? 'needs_global_admin' : null;
}

/** May the actor change contact methods, unblock, enable/disable this account? (same walls as credentials) */
export function canManageAccount(actor: Actor, target: Account): Denial | null {
  const view = canView(actor, target, 'users:write');
  if (view) return view;
  if (actor.kind === 'admin') {
    if (isAdmin(target.role) && actor.account.id !== target.id && actor.account.role !== 'global_admin')
      return 'needs_global_admin';
    return null;
  }
  if (actor.kind === 'api_key') return isAdmin(target.role) ? 'needs_global_admin' : null;
  return null;
}

/** May the actor change the tenant's policy? Admins of that tenant only (global admins and admins alike). */
export function canEditPolicy(
  actor: Actor,
  tenantId: string,
  scope: 'policy:read' | 'policy:write' = 'policy:write',
): Denial | null {
  // an API key with the scope, of the tenant (the reset gates: http/api/policy-api.ts)
  if (actor.kind === 'api_key') return canView(actor, { tenantId }, scope);
  if (actor.kind !== 'admin') return 'not_allowed';
  return actor.account.tenantId === tenantId ? null : 'other_tenant';
}

/**
 * May the actor give this account that role? A global admin of the tenant changes anyone's role
 * but their own; an operator only promotes an account to admin (Technical Support, after
 * verifying the requester); tenant admins and API keys never change roles.
 */
export function canChangeRole(actor: Actor, target: Account, role: Role): Denial | null {
  const view = canView(actor, target, 'users:write');
  if (view) return view;
  if (actor.kind === 'operator') return role === 'admin' && target.role !== 'global_admin' ? null : 'not_allowed';
  if (actor.kind === 'api_key') return 'not_allowed';
  if (actor.account.id === target.id) return 'self';
  return actor.account.role === 'global_admin' ? null : 'needs_global_admin';
}

/**
 * May the actor add an account with this role to this tenant? Administrators add accounts to their
 * own tenant only; a tenant admin adds users, only a global admin adds an administrator (as only a
 * global admin changes roles). API keys and operators do not add accounts; people never do.
 */
export function canAddAccount(actor: Actor, tenantId: string, role: Role): Denial | null {
  if (actor.kind !== 'admin' || !isAdmin(actor.account.role)) return 'not_allowed';
  if (actor.account.tenantId !== tenantId) return 'other_tenant';
  if (isAdmin(role) && actor.account.role !== 'global_admin') return 'needs_global_admin';
  return null;
}

/** May the actor pre-fill this account's contact methods? The command line may; others as for the account. */
export function canPrefillMethod(actor: ChangeActor, target: Account): Denial | null {
  return actor.kind === 'cli' ? null : canManageAccount(actor, target);
}

/** May the actor give this account that role? The command line may; others as `canChangeRole`. */
export function canSetRole(actor: ChangeActor, target: Account, role: Role): Denial | null {
  return actor.kind === 'cli' ? null : canChangeRole(actor, target, role);
}

/**
 * How a notice names who acted, in the recipient's language: the admin by name and login (as
 * given), Technical Support, the API key, the command line, or the organisation's directory (a
 * sync: group membership decides who is an administrator).
 */
export function actorDescription(actor: ChangeActor): NoticeWords {
  switch (actor.kind) {
    case 'admin':
      return noticeName(`${actor.account.displayName} (${actor.account.login})`);
    case 'operator':
      return noticePhrase('email.phrase.support');
    case 'api_key':
      return noticePhrase('email.phrase.apiKey', { keyId: actor.keyId });
    case 'cli':
      return noticePhrase(actor.via === 'directory' ? 'email.phrase.directorySync' : 'email.phrase.commandLine');
  }
}
