import type { ApiScope } from '../core/admin-rules.ts';

/**
 * Storage of the admin API keys of tenants. A key is `sspr_<id>_<secret>`; only the HMAC of its
 * secret is stored (`secretHash`), so a copy of the database does not hold a usable key.
 */
export interface ApiKeyRecord {
  readonly id: string;
  readonly tenantId: string;
  /** A label chosen by whoever created the key, e.g. "HR sync". */
  readonly name: string;
  readonly scopes: readonly ApiScope[];
  /** Hex HMAC (Keyring purpose `api-key`) of `<id>.<secret>`. */
  readonly secretHash: string;
  /** The audit actor that created the key: `admin:<id>` or `cli`. */
  readonly createdBy: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  /** Null: never expires. */
  readonly expiresAt: number | null;
  readonly revokedAt: number | null;
  readonly revokedBy: string | null;
}

export type NewApiKey = Omit<ApiKeyRecord, 'lastUsedAt' | 'revokedAt' | 'revokedBy'>;

export interface ApiKeyRepo {
  create(k: NewApiKey): Promise<void>;
  get(id: string): Promise<ApiKeyRecord | null>;
  /** Every key of the tenant, revoked and expired ones too, newest first. */
  list(tenantId: string): Promise<ApiKeyRecord[]>;
  /** Revokes a live key; true when this call revoked it (false when unknown or already revoked). */
  revoke(id: string, by: string, now: number): Promise<boolean>;
  /** Records a use; only moves `lastUsedAt` forward. */
  touch(id: string, now: number): Promise<void>;
}
