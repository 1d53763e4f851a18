/**
 * Storage of the admin console's own secrets: one-time assisted reset links and the expiry of
 * temporary passwords. Only HMACs of link tokens are stored; single use holds under races because
 * `consumeLink` is one conditional statement.
 */
export interface AssistedLinkRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly accountId: string;
  /** HMAC of the 256-bit token sent by email. */
  readonly tokenHash: string;
  /** Who issued it: `admin:<id>`, `operator:<id>`, `api_key:<id>`. */
  readonly actor: string;
  /** The account's password hash when the link was issued: a password change since then kills the link. */
  readonly passwordHashAtIssue: string | null;
  readonly createdAt: number;
  readonly expiresAt: number;
  /** When the token was redeemed (the Continue button); null while unused. */
  readonly usedAt: number | null;
  /** HMAC of the browser grant created at redemption (cookie), valid until `grantExpiresAt`. */
  readonly grantHash: string | null;
  readonly grantExpiresAt: number | null;
  /** When the new password was set through this link. */
  readonly completedAt: number | null;
  /** When a newer link for the account replaced this one. */
  readonly supersededAt: number | null;
}

export type NewAssistedLink = Omit<
  AssistedLinkRecord,
  'usedAt' | 'grantHash' | 'grantExpiresAt' | 'completedAt' | 'supersededAt'
>;

export interface TempPasswordRecord {
  readonly accountId: string;
  /** The argon2id hash of the temporary password: the expiry applies only while it is the account's password. */
  readonly passwordHash: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/** Per-account status the users list filters on (verified methods, self-service block). */
export interface AccountStatusRow {
  readonly accountId: string;
  readonly emailVerified: boolean;
  readonly phoneVerified: boolean;
  readonly blockedAt: number | null;
}

export interface AdminRepo {
  /** Stores a new link and supersedes every earlier unused link of the account. */
  issueLink(link: NewAssistedLink, now: number): Promise<void>;
  findLinkByTokenHash(tokenHash: string): Promise<AssistedLinkRecord | null>;
  findLinkByGrantHash(grantHash: string): Promise<AssistedLinkRecord | null>;
  /** Marks the link used and stores the browser grant; true for exactly one caller, and only while it is live. */
  consumeLink(id: string, grantHash: string, grantExpiresAt: number, now: number): Promise<boolean>;
  /** Marks the link completed; true for exactly one caller. */
  completeLink(id: string, now: number): Promise<boolean>;
  /** Ends every live link of the account (after a password change). */
  endLinks(accountId: string, now: number): Promise<number>;

  setTempPassword(t: TempPasswordRecord): Promise<void>;
  getTempPassword(accountId: string): Promise<TempPasswordRecord | null>;
  clearTempPassword(accountId: string): Promise<void>;

  /** Verified methods and block start of every account of the tenant that has any (others have none). */
  accountStatuses(tenantId: string): Promise<AccountStatusRow[]>;
}
