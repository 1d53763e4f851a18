import type { AuditEventType } from '../core/audit-events.ts';
import { API_SCOPES, actorName, type Actor, type ApiScope } from '../core/admin-rules.ts';
import { isAdminRole } from '../core/directory-model.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { ApiKeyRecord } from '../ports/api-key-store.ts';
import type { Clock } from '../ports/clock.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { Random } from '../ports/random.ts';
import type { Repos, Store } from '../ports/store.ts';
import { appendAudit, type RequestContext } from './request-context.ts';

/**
 * Admin API keys of a tenant. A key reads `sspr_<keyId>_<secret>`: the id (96 bits, hex) finds the
 * row, the secret (256 bits, base64url) proves possession. Only the HMAC of `<keyId>.<secret>`
 * under the Keyring's `api-key` key is stored, so neither a database copy nor a backup holds a
 * usable key; the full key is shown once, when it is created. Keys are scoped (`ApiScope`),
 * belong to one tenant, may expire, and are revoked for good. Creating and revoking are audited.
 */
export interface ApiKeyDeps {
  readonly store: Store;
  readonly keyring: Keyring;
  readonly random: Random;
  readonly clock: Clock;
}

export const API_KEY_PREFIX = 'sspr_';
/** `sspr_` + 24 hex characters + `_` + 43 base64url characters (the secret may itself contain `_`). */
export const API_KEY_PATTERN = /^sspr_([0-9a-f]{24})_([A-Za-z0-9_-]{43})$/;
export const API_KEY_NAME_MAX = 100;
/** The HMAC purpose (key derivation label) of stored key secrets. */
export const API_KEY_HMAC_PURPOSE = 'api-key';
/** A key's last use is written at most this often (a busy integration would otherwise write on every call). */
export const API_KEY_TOUCH_INTERVAL_MS = 60_000;
const MAX_HEADER_LENGTH = 256;

export type ApiKeyStatus = 'active' | 'revoked' | 'expired';

/** A key as it may be shown: everything but the secret and its hash. */
export interface ApiKeyView {
  readonly id: string;
  readonly tenantId: string;
  readonly name: string;
  readonly scopes: readonly ApiScope[];
  readonly createdBy: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly expiresAt: number | null;
  readonly revokedAt: number | null;
  readonly revokedBy: string | null;
  readonly status: ApiKeyStatus;
  /** `sspr_<keyId>_…`: enough to recognise a key, useless to use one. */
  readonly hint: string;
}

/** The actor an authenticated key acts as. */
export type ApiKeyActor = Extract<Actor, { kind: 'api_key' }>;

/**
 * Who manages keys: a signed-in admin of the key's tenant (console), or the operator through the
 * CLI (`'cli'`). An API key never manages keys (it could otherwise widen its own scopes), nor
 * does an operator acting on a support ticket.
 */
export type KeyManager = Actor | 'cli';

export type CreateApiKeyError =
  | 'not_allowed'
  | 'tenant_not_found'
  | 'name_invalid'
  | 'scopes_missing'
  | 'scope_unknown'
  | 'expiry_invalid';
export type RevokeApiKeyError = 'not_allowed' | 'key_not_found' | 'already_revoked';

export interface CreateApiKeyInput {
  readonly tenantId: string;
  readonly name: string;
  readonly scopes: readonly string[];
  /** When the key stops working (ms since the epoch); null: never. Must be in the future. */
  readonly expiresAt: number | null;
  readonly by: KeyManager;
  readonly rc?: RequestContext;
}

export interface CreatedApiKey {
  readonly key: ApiKeyView;
  /** The full key, `sspr_<keyId>_<secret>`. Returned this once and never stored. */
  readonly token: string;
}

/** Parses a scope list: known scopes only, each once, in catalogue order; at least one. */
export function parseScopes(input: readonly string[]): Result<ApiScope[], 'scopes_missing' | 'scope_unknown'> {
  const wanted = input.flatMap((s) => s.split(/[\s,]+/)).filter((s) => s.length > 0);
  if (wanted.length === 0) return err('scopes_missing');
  const unknown = wanted.find((s) => !(API_SCOPES as readonly string[]).includes(s));
  if (unknown !== undefined)
    return err('scope_unknown', `unknown scope "${unknown.slice(0, 40)}"; known: ${API_SCOPES.join(', ')}`);
  return ok(API_SCOPES.filter((s) => wanted.includes(s)));
}

/** A key's label: trimmed, 1 to 100 characters, no control characters. */
export function normalizeKeyName(input: string): Result<string, 'name_invalid'> {
  const name = input.normalize('NFC').trim();
  if (name.length === 0 || name.length > API_KEY_NAME_MAX || /[\p{Cc}\u2028\u2029]/u.test(name))
    return err('name_invalid', `the key name must be 1 to ${API_KEY_NAME_MAX} characters, without control characters`);
  return ok(name);
}

/** The token of an `Authorization: Bearer <token>` header, or null. */
export function bearerToken(header: string | null | undefined): string | null {
  if (typeof header !== 'string' || header.length > MAX_HEADER_LENGTH) return null;
  const m = /^Bearer +(\S+) *$/i.exec(header);
  return m ? m[1]! : null;
}

export function keyStatus(k: Pick<ApiKeyRecord, 'revokedAt' | 'expiresAt'>, now: number): ApiKeyStatus {
  if (k.revokedAt !== null) return 'revoked';
  if (k.expiresAt !== null && now >= k.expiresAt) return 'expired';
  return 'active';
}

export class ApiKeyService {
  /** Compared against when the key id is unknown, so that unknown ids cost the same HMAC and compare. */
  static readonly #NO_HASH = '0'.repeat(64);

  constructor(private readonly d: ApiKeyDeps) {}

  async create(input: CreateApiKeyInput): Promise<Result<CreatedApiKey, CreateApiKeyError>> {
    if (!this.#mayManage(input.by, input.tenantId)) return err('not_allowed');
    const name = normalizeKeyName(input.name);
    if (!name.ok) return name;
    const scopes = parseScopes(input.scopes);
    if (!scopes.ok) return scopes;
    const now = this.d.clock.now();
    if (input.expiresAt !== null && (!Number.isSafeInteger(input.expiresAt) || input.expiresAt <= now))
      return err('expiry_invalid', 'the expiry must be in the future');
    const tenant = await this.d.store.directory.getTenant(input.tenantId);
    if (!tenant) return err('tenant_not_found');

    const id = Buffer.from(this.d.random.bytes(12)).toString('hex');
    const secret = Buffer.from(this.d.random.bytes(32)).toString('base64url');
    const token = `${API_KEY_PREFIX}${id}_${secret}`;
    const createdBy = managerName(input.by);
    const record: ApiKeyRecord = {
      id,
      tenantId: tenant.id,
      name: name.value,
      scopes: scopes.value,
      secretHash: this.#hash(id, secret),
      createdBy,
      createdAt: now,
      lastUsedAt: null,
      expiresAt: input.expiresAt,
      revokedAt: null,
      revokedBy: null,
    };
    await this.d.store.transaction(async (tx) => {
      await tx.apiKeys.create(record);
      await this.#audit(tx, record, createdBy, 'api_key.created', now, input.rc, {
        scopes: record.scopes.join(' '),
        expiresAt: record.expiresAt,
      });
    });
    return ok({ key: view(record, now), token });
  }

  /** Every key of the tenant (revoked and expired ones too), newest first; never a secret. */
  async list(tenantId: string): Promise<ApiKeyView[]> {
    const now = this.d.clock.now();
    return (await this.d.store.apiKeys.list(tenantId)).map((k) => view(k, now));
  }

  /** One key; with `tenantId`, only when it belongs to that tenant. */
  async get(keyId: string, tenantId?: string): Promise<ApiKeyView | null> {
    if (!/^[0-9a-f]{24}$/.test(keyId)) return null;
    const k = await this.d.store.apiKeys.get(keyId);
    if (!k || (tenantId !== undefined && k.tenantId !== tenantId)) return null;
    return view(k, this.d.clock.now());
  }

  /**
   * Revokes a key for good. An admin may revoke only keys of their own tenant; another tenant's
   * key answers `key_not_found`, as an unknown id does.
   */
  async revoke(input: {
    readonly keyId: string;
    readonly by: KeyManager;
    readonly rc?: RequestContext;
  }): Promise<Result<ApiKeyView, RevokeApiKeyError>> {
    const keyId = input.keyId.trim();
    if (!/^[0-9a-f]{24}$/.test(keyId)) return err('key_not_found');
    const now = this.d.clock.now();
    return this.d.store.transaction(async (tx): Promise<Result<ApiKeyView, RevokeApiKeyError>> => {
      const k = await tx.apiKeys.get(keyId);
      if (!k) return err('key_not_found');
      if (!this.#mayManage(input.by, k.tenantId)) return input.by === 'cli' ? err('not_allowed') : err('key_not_found');
      if (k.revokedAt !== null) return err('already_revoked');
      const by = managerName(input.by);
      if (!(await tx.apiKeys.revoke(k.id, by, now))) return err('already_revoked');
      await this.#audit(tx, k, by, 'api_key.revoked', now, input.rc, {});
      return ok(view({ ...k, revokedAt: now, revokedBy: by }, now));
    });
  }

  /**
   * The actor behind an `Authorization: Bearer sspr_…` header, or null. Malformed, unknown,
   * wrong-secret, revoked and expired keys all answer null, so a caller cannot tell them apart.
   * The secret is compared as an HMAC in constant time.
   */
  async authenticate(header: string | null | undefined): Promise<ApiKeyActor | null> {
    const token = bearerToken(header);
    const parts = token === null ? null : API_KEY_PATTERN.exec(token);
    if (!parts) return null;
    const id = parts[1]!;
    const secret = parts[2]!;
    const k = await this.d.store.apiKeys.get(id);
    const matches = this.d.keyring.matches(
      API_KEY_HMAC_PURPOSE,
      `${id}.${secret}`,
      k?.secretHash ?? ApiKeyService.#NO_HASH,
    );
    const now = this.d.clock.now();
    if (!k || !matches || keyStatus(k, now) !== 'active' || k.scopes.length === 0) return null;
    if (k.lastUsedAt === null || now - k.lastUsedAt >= API_KEY_TOUCH_INTERVAL_MS)
      await this.d.store.apiKeys.touch(id, now);
    return { kind: 'api_key', keyId: k.id, tenantId: k.tenantId, scopes: k.scopes };
  }

  #hash(id: string, secret: string): string {
    return this.d.keyring.hmac(API_KEY_HMAC_PURPOSE, `${id}.${secret}`);
  }

  #mayManage(by: KeyManager, tenantId: string): boolean {
    if (by === 'cli') return true;
    return by.kind === 'admin' && isAdminRole(by.account.role) && by.account.tenantId === tenantId;
  }

  async #audit(
    tx: Repos,
    k: ApiKeyRecord,
    actor: string,
    type: AuditEventType,
    now: number,
    rc: RequestContext | undefined,
    extra: Readonly<Record<string, string | number | null>>,
  ): Promise<void> {
    await appendAudit(tx, {
      at: now,
      tenantId: k.tenantId,
      accountId: null,
      actor,
      type,
      outcome: 'ok',
      rc: rc ?? null,
      details: { keyId: k.id, name: k.name, ...extra },
    });
  }
}

function managerName(by: KeyManager): string {
  return by === 'cli' ? 'cli' : actorName(by);
}

function view(k: ApiKeyRecord, now: number): ApiKeyView {
  return {
    id: k.id,
    tenantId: k.tenantId,
    name: k.name,
    scopes: k.scopes,
    createdBy: k.createdBy,
    createdAt: k.createdAt,
    lastUsedAt: k.lastUsedAt,
    expiresAt: k.expiresAt,
    revokedAt: k.revokedAt,
    revokedBy: k.revokedBy,
    status: keyStatus(k, now),
    hint: `${API_KEY_PREFIX}${k.id}_…`,
  };
}
