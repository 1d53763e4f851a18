import type { Kysely, Selectable } from 'kysely';
import type {
  AccountStatusRow,
  AdminRepo,
  AssistedLinkRecord,
  NewAssistedLink,
  TempPasswordRecord,
} from '../../ports/admin-store.ts';
import type { AssistedLinksTable, Database } from './database.ts';
import type { SqlDialect } from './migrations.ts';
import { SqlTemplate } from './sql-template.ts';

const num = (v: number | null): number | null => (v === null ? null : Number(v));

function toLink(r: Selectable<AssistedLinksTable>): AssistedLinkRecord {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    accountId: r.account_id,
    tokenHash: r.token_hash,
    actor: r.actor,
    passwordHashAtIssue: r.password_hash_at_issue,
    createdAt: Number(r.created_at),
    expiresAt: Number(r.expires_at),
    usedAt: num(r.used_at),
    grantHash: r.grant_hash,
    grantExpiresAt: num(r.grant_expires_at),
    completedAt: num(r.completed_at),
    supersededAt: num(r.superseded_at),
  };
}

export class SqlAdminRepo implements AdminRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialect,
  ) {}

  async issueLink(link: NewAssistedLink, now: number): Promise<void> {
    await this.db
      .updateTable('assisted_links')
      .set({ superseded_at: now })
      .where('account_id', '=', link.accountId)
      .where('completed_at', 'is', null)
      .where('superseded_at', 'is', null)
      .execute();
    await this.db
      .insertInto('assisted_links')
      .values({
        id: link.id,
        tenant_id: link.tenantId,
        account_id: link.accountId,
        token_hash: link.tokenHash,
        actor: link.actor,
        password_hash_at_issue: link.passwordHashAtIssue,
        created_at: link.createdAt,
        expires_at: link.expiresAt,
        used_at: null,
        grant_hash: null,
        grant_expires_at: null,
        completed_at: null,
        superseded_at: null,
      })
      .execute();
  }

  async findLinkByTokenHash(tokenHash: string): Promise<AssistedLinkRecord | null> {
    const r = await this.db
      .selectFrom('assisted_links')
      .selectAll()
      .where('token_hash', '=', tokenHash)
      .executeTakeFirst();
    return r ? toLink(r) : null;
  }

  async findLinkByGrantHash(grantHash: string): Promise<AssistedLinkRecord | null> {
    const r = await this.db
      .selectFrom('assisted_links')
      .selectAll()
      .where('grant_hash', '=', grantHash)
      .executeTakeFirst();
    return r ? toLink(r) : null;
  }

  async consumeLink(id: string, grantHash: string, grantExpiresAt: number, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('assisted_links')
      .set({ used_at: now, grant_hash: grantHash, grant_expires_at: grantExpiresAt })
      .where('id', '=', id)
      .where('used_at', 'is', null)
      .where('superseded_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async completeLink(id: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('assisted_links')
      .set({ completed_at: now })
      .where('id', '=', id)
      .where('completed_at', 'is', null)
      .where('superseded_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async endLinks(accountId: string, now: number): Promise<number> {
    return Number(await END_LINKS.affected(this.db, { account_id: accountId, now }));
  }

  async setTempPassword(t: TempPasswordRecord): Promise<void> {
    await this.db
      .insertInto('temp_passwords')
      .values({
        account_id: t.accountId,
        password_hash: t.passwordHash,
        created_at: t.createdAt,
        expires_at: t.expiresAt,
      })
      .onConflict((oc) =>
        oc
          .column('account_id')
          .doUpdateSet({ password_hash: t.passwordHash, created_at: t.createdAt, expires_at: t.expiresAt }),
      )
      .execute();
  }

  async getTempPassword(accountId: string): Promise<TempPasswordRecord | null> {
    const r = await this.db
      .selectFrom('temp_passwords')
      .selectAll()
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return r
      ? {
          accountId: r.account_id,
          passwordHash: r.password_hash,
          createdAt: Number(r.created_at),
          expiresAt: Number(r.expires_at),
        }
      : null;
  }

  async clearTempPassword(accountId: string): Promise<void> {
    // nothing read back: on PostgreSQL it travels with the next statement (pg-write-batching.ts)
    await CLEAR_TEMP_PASSWORD.later(this.db, this.dialect, { account_id: accountId });
  }

  async accountStatuses(tenantId: string): Promise<AccountStatusRow[]> {
    const methods = await this.db
      .selectFrom('methods')
      .innerJoin('accounts', 'accounts.id', 'methods.account_id')
      .select(['methods.account_id as account_id', 'methods.kind as kind'])
      .where('accounts.tenant_id', '=', tenantId)
      .where('methods.verified_at', 'is not', null)
      .execute();
    const blocks = await this.db
      .selectFrom('account_blocks')
      .innerJoin('accounts', 'accounts.id', 'account_blocks.account_id')
      .select(['account_blocks.account_id as account_id', 'account_blocks.blocked_at as blocked_at'])
      .where('accounts.tenant_id', '=', tenantId)
      .execute();
    const rows = new Map<string, { emailVerified: boolean; phoneVerified: boolean; blockedAt: number | null }>();
    const row = (id: string) => {
      let r = rows.get(id);
      if (!r) rows.set(id, (r = { emailVerified: false, phoneVerified: false, blockedAt: null }));
      return r;
    };
    for (const m of methods) {
      if (m.kind === 'email') row(m.account_id).emailVerified = true;
      if (m.kind === 'phone') row(m.account_id).phoneVerified = true;
    }
    for (const b of blocks) {
      const r = row(b.account_id);
      r.blockedAt = Math.max(r.blockedAt ?? 0, Number(b.blocked_at));
    }
    return [...rows].map(([accountId, r]) => ({ accountId, ...r }));
  }
}

const CLEAR_TEMP_PASSWORD = new SqlTemplate((db, p: { account_id: string }) =>
  db.deleteFrom('temp_passwords').where('account_id', '=', p.account_id),
);

/** Supersedes an account's open assisted links (built once per dialect, sql-template.ts). */
const END_LINKS = new SqlTemplate((db, p: { account_id: string; now: number }) =>
  db
    .updateTable('assisted_links')
    .set({ superseded_at: p.now })
    .where('account_id', '=', p.account_id)
    .where('completed_at', 'is', null)
    .where('superseded_at', 'is', null),
);
