import type { DirectoryCheckReport, DirectoryRefusal } from '../core/directory-rules.ts';
import type { Result } from '../core/result.ts';

/**
 * The Directory port: the organisation's own directory (OpenLDAP or another RFC 4511 server, Active
 * Directory or Samba AD) where a tenant's passwords live. One adapter per kind. Every method answers
 * a refusal as a value (never throws for the directory's answer); the diagnostic text is for the
 * admin's audit log only.
 */
export type ExternalDirectoryKind = 'ldap' | 'ad';

export interface DirectoryEntry {
  /** The directory's stable id: `entryUUID` (OpenLDAP) or `objectGUID` (AD), as a lowercase UUID. */
  readonly id: string;
  readonly dn: string;
  /** The login attribute's value (uid, sAMAccountName or userPrincipalName, as configured). */
  readonly login: string;
  readonly displayName: string;
  readonly email: string | null;
  readonly mobile: string | null;
  /** Member of one of the configured administrator groups (AD: nested membership counts). */
  readonly admin: boolean;
  /** AD protected account (`adminCount=1`): delegated reset rights do not reach it. */
  readonly protected: boolean;
  /** Disabled in the directory (AD `userAccountControl` bit 2; OpenLDAP permanent ppolicy lock or the configured attribute). */
  readonly disabled: boolean;
  /** Locked after wrong passwords (AD `lockoutTime` > 0; OpenLDAP `pwdAccountLockedTime`). */
  readonly locked: boolean;
  /**
   * The password was set by an administrator and must be changed first, where a bind does not say
   * so (OpenLDAP `pwdReset: TRUE`: the bind succeeds). AD answers the bind itself (data 773).
   */
  readonly mustChange?: boolean;
}

/**
 * A refusal is `err(refusal, diagnostic)`: the diagnostic (result code and the server's text, or the
 * transport error) is for the admin's audit log, never shown to the person.
 */
export type DirectoryResult<T> = Result<T, DirectoryRefusal>;

/** The password rules the directory applies, read from it (null: not known). */
export interface DirectoryPasswordRules {
  readonly minLength: number | null;
  /** AD "password must meet complexity requirements"; OpenLDAP: a quality check is on. */
  readonly complexity: boolean | null;
  readonly history: number | null;
  /** Minimum password age (ms); 0 when changes are allowed at any time. */
  readonly minAgeMs: number | null;
  /** Whether history is enforced on resets by the service account (AD: the policy-hints control). */
  readonly historyOnReset: boolean | null;
}

export interface SetPasswordOptions {
  /** A temporary password: the person must change it at the next sign-in. */
  readonly mustChange: boolean;
}

export interface ExternalDirectory {
  readonly kind: ExternalDirectoryKind;
  /** Finds the one account a typed login names (escaped into the configured filter); null when none or several match. */
  findByLogin(login: string): Promise<DirectoryResult<DirectoryEntry | null>>;
  /** Reads an account by its stable id (renames are followed). */
  getById(id: string): Promise<DirectoryResult<DirectoryEntry | null>>;
  /** Every account under the base DN matching the filter, in pages (sync). */
  list(pageSize?: number): AsyncIterable<DirectoryResult<DirectoryEntry[]>>;
  /** Proves a password by binding as the person. */
  verifyPassword(entry: DirectoryEntry, password: string): Promise<DirectoryResult<void>>;
  /** Writes a new password as the service account (over TLS only, unless the lab override is on). */
  setPassword(entry: DirectoryEntry, password: string, options: SetPasswordOptions): Promise<DirectoryResult<void>>;
  /** Clears a lockout without changing the password. */
  unlock(entry: DirectoryEntry): Promise<DirectoryResult<void>>;
  passwordRules(entry?: DirectoryEntry): Promise<DirectoryResult<DirectoryPasswordRules>>;
  /**
   * `sspr directory check`: tries each URL and its certificate, binds the service account, finds the
   * test account, reads the rules, and probes the rights a reset and an unlock need without changing
   * anyone (a one-character password the directory must refuse for length, an absent attribute).
   */
  check(testLogin: string | null): Promise<DirectoryCheckReport>;
  close(): Promise<void>;
}
