import type { Kysely, Selectable } from 'kysely';
import { API_SCOPES, type ApiScope } from '../../core/admin-rules.ts';
import type { ApiKeyRecord, ApiKeyRepo, NewApiKey } from '../../ports/api-key-store.ts';
import type { ApiKeysTable, Database } from './database.ts';

/** Admin API keys over Kysely (table `api_keys`, migration `0009_api_keys`). */
export class SqlApiKeyRepo implements ApiKeyRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async create(k: NewApiKey): Promise<void> {
    await this.db
      .insertInto('api_keys')
      .values({
        id: k.id,
        tenant_id: k.tenantId,
        name: k.name,
        scopes: k.scopes.join(' '),
        secret_hash: k.secretHash,
        created_by: k.createdBy,
        created_at: k.createdAt,
        last_used_at: null,
        expires_at: k.expiresAt,
        revoked_at: null,
        revoked_by: null,
      })
      .execute();
  }

  async get(id: string): Promise<ApiKeyRecord | null> {
    const row = await this.db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toRecord(row) : null;
  }

  async list(tenantId: string): Promise<ApiKeyRecord[]> {
    const rows = await this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .execute();
    return rows.map(toRecord);
  }

  async revoke(id: string, by: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('api_keys')
      .set({ revoked_at: now, revoked_by: by })
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async touch(id: string, now: number): Promise<void> {
    await this.db
      .updateTable('api_keys')
      .set({ last_used_at: now })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', now)]))
      .execute();
  }
}

function toRecord(row: Selectable<ApiKeysTable>): ApiKeyRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    name: row.name,
    // a scope this version does not know (written by a newer one) grants nothing
    scopes: row.scopes.split(' ').filter((s): s is ApiScope => (API_SCOPES as readonly string[]).includes(s)),
    secretHash: row.secret_hash,
    createdBy: row.created_by,
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
    expiresAt: row.expires_at === null ? null : Number(row.expires_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    revokedBy: row.revoked_by,
  };
}
