/**
 * The five ways a password changes (credential-change.ts is the one unit of work they share). What
 * differs per path is data, in `CREDENTIAL_PATHS` below — not code.
 */
import type { AuditEventType } from '../core/audit-events.ts';

export type CredentialPath = 'self-service' | 'assisted-link' | 'temp-password' | 'signed-in' | 'cli';

export interface PathRule {
  /**
   * Whether the path proves who the person is, so the self-service block (wrong codes) and the
   * sign-in throttling (wrong passwords) end with the change.
   */
  readonly provesIdentity: boolean;
  /** Why, in a word, for readers of this table. */
  readonly proof: string;
  /** The audit event of the change (names kept from before the paths were folded). */
  readonly event: AuditEventType;
  /** Sessions revoked: a separate `sessions.revoked` event, or a `sessionsRevoked` detail of the change's event. */
  readonly sessionsAudit: 'event' | 'detail';
  /** The notice to the account's own addresses. */
  readonly accountNotice: 'reset.completed' | 'admin.temp_password';
  /**
   * Other enabled admins of the tenant are told when the account is an admin — and, on an
   * admin-assisted path (`always`), whatever the account's role.
   */
  readonly otherAdmins: 'when-admin' | 'always';
}

/**
 * Per path: what proves identity, and what is audited and told. Every other effect (vet, hash,
 * history, flows/codes/links ended, assisted links ended, temporary password cleared or set,
 * sessions revoked, notices) is the same for all five.
 *
 * | path          | proves identity by                            | clears blocks + throttling |
 * | ------------- | --------------------------------------------- | -------------------------- |
 * | self-service  | the reset's codes/links (1 or 2 gates)        | yes                        |
 * | assisted-link | an admin's link, redeemed in the browser      | yes                        |
 * | temp-password | an admin vouching for the person              | yes                        |
 * | signed-in     | the current password and a live session       | yes                        |
 * | cli           | nothing about the person (an operator's shell) | no                         |
 */
export const CREDENTIAL_PATHS: Readonly<Record<CredentialPath, PathRule>> = {
  'self-service': {
    provesIdentity: true,
    proof: 'codes',
    event: 'password.changed',
    sessionsAudit: 'event',
    accountNotice: 'reset.completed',
    otherAdmins: 'when-admin',
  },
  'assisted-link': {
    provesIdentity: true,
    proof: 'admin link',
    event: 'password.changed',
    sessionsAudit: 'event',
    accountNotice: 'reset.completed',
    otherAdmins: 'when-admin',
  },
  'temp-password': {
    provesIdentity: true,
    proof: 'admin vouches',
    event: 'admin.temp_password_set',
    sessionsAudit: 'event',
    accountNotice: 'admin.temp_password',
    otherAdmins: 'always',
  },
  'signed-in': {
    provesIdentity: true,
    proof: 'current password',
    event: 'password.changed',
    sessionsAudit: 'detail',
    accountNotice: 'reset.completed',
    otherAdmins: 'when-admin',
  },
  cli: {
    provesIdentity: false,
    proof: 'none',
    event: 'account.password_set',
    sessionsAudit: 'detail',
    accountNotice: 'reset.completed',
    otherAdmins: 'when-admin',
  },
};
