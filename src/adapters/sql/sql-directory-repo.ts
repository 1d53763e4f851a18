import { sql, type Kysely, type Selectable } from 'kysely';
import type { MethodKind } from '../../core/contact.ts';
import {
  DEFAULT_TENANT_POLICY,
  type Account,
  type Method,
  type Role,
  type Session,
  type Tenant,
  type TenantPolicy,
} from '../../core/directory-model.ts';
import { legacyGateSwitches, storedGatePolicy } from '../../core/gate-policy.ts';
import { err, ok, type Result } from '../../core/result.ts';
import {
  directorySettingsInput,
  parseDirectorySettings,
  type DirectorySettings,
} from '../../core/directory-settings.ts';
import type {
  AccountFilter,
  AccountPatch,
  DirectoryRepo,
  NewAccount,
  NewTenant,
  StoredDirectorySettings,
  LoginGuard,
} from '../../ports/store.ts';
import { atomic, clampLimit, escapeLike, isUniqueViolation } from './atomic.ts';
import type { AccountsTable, Database, MethodsTable, SessionsTable, TenantsTable } from './database.ts';
import type { SqlDialect } from './migrations.ts';
import { GUARD_KEY_PREFIX } from './sql-guard-repos.ts';
import { columns, SqlTemplate, TemplateFamily } from './sql-template.ts';

/** Tenants, accounts, methods and sessions over Kysely; works on the root instance or a transaction. */
export class SqlDirectoryRepo implements DirectoryRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialect = 'sqlite',
  ) {}

  async createTenant(t: NewTenant): Promise<Result<Tenant, 'tenant_exists' | 'domain_taken'>> {
    const domains = [...new Set(t.domains)].sort();
    const conflict = async (db: Kysely<Database>): Promise<'tenant_exists' | 'domain_taken' | null> => {
      const byName = await db.selectFrom('tenants').select('id').where('name', '=', t.name).executeTakeFirst();
      if (byName) return 'tenant_exists';
      if (domains.length === 0) return null;
      const taken = await db
        .selectFrom('tenant_domains')
        .select('domain')
        .where('domain', 'in', domains)
        .executeTakeFirst();
      return taken ? 'domain_taken' : null;
    };
    const before = await conflict(this.db);
    if (before) return err(before);
    try {
      await atomic(this.db, async (db) => {
        await db
          .insertInto('tenants')
          .values({ id: t.id, name: t.name, policy: storedPolicyText(t.policy), created_at: t.now, updated_at: t.now })
          .execute();
        if (domains.length > 0) {
          await db
            .insertInto('tenant_domains')
            .values(domains.map((domain) => ({ domain, tenant_id: t.id })))
            .execute();
        }
      });
    } catch (error) {
      // Lost a race with another writer between the check and the insert.
      if (!isUniqueViolation(error)) throw error;
      const after = await conflict(this.db);
      if (after) return err(after);
      throw error;
    }
    return ok({ id: t.id, name: t.name, domains, policy: t.policy, createdAt: t.now, updatedAt: t.now });
  }

  async getTenant(id: string): Promise<Tenant | null> {
    if (this.dialect === 'postgres') {
      // one round trip: the tenant with its domains
      const row = await TENANT_WITH_DOMAINS.first(this.db, { id });
      return row ? toTenant(row.tenant, row.domains) : null;
    }
    const row = await GET_TENANT.first(this.db, { id });
    return row ? this.withDomains(row) : null;
  }

  async findTenantByName(name: string): Promise<Tenant | null> {
    const row = await this.db.selectFrom('tenants').selectAll().where('name', '=', name).executeTakeFirst();
    return row ? this.withDomains(row) : null;
  }

  async findTenantByDomain(domain: string): Promise<Tenant | null> {
    const row = await TENANT_BY_DOMAIN.first(this.db, { domain });
    return row ? this.withDomains(row) : null;
  }

  async listTenants(): Promise<Tenant[]> {
    const rows = await this.db.selectFrom('tenants').selectAll().orderBy('name').execute();
    const domains = await this.db.selectFrom('tenant_domains').selectAll().orderBy('domain').execute();
    return rows.map((row) =>
      toTenant(
        row,
        domains.filter((d) => d.tenant_id === row.id).map((d) => d.domain),
      ),
    );
  }

  async updateTenantPolicy(id: string, policy: TenantPolicy, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('tenants')
      .set({ policy: storedPolicyText(policy), updated_at: now })
      .where('id', '=', id)
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  async getTenantDirectory(tenantId: string): Promise<StoredDirectorySettings | null> {
    const row = await this.db
      .selectFrom('tenant_directories')
      .select(['settings', 'updated_at'])
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    if (!row) return null;
    const parsed = parseDirectorySettings(JSON.parse(row.settings));
    // stored settings were valid when written; a newer release's fields are ignored, never fatal
    if (!parsed.ok) throw new Error(`tenant ${tenantId}: stored directory settings no longer valid: ${parsed.detail}`);
    return { settings: parsed.value, updatedAt: Number(row.updated_at) };
  }

  async setTenantDirectory(tenantId: string, settings: DirectorySettings | null, now: number): Promise<void> {
    if (settings === null) {
      await this.db.deleteFrom('tenant_directories').where('tenant_id', '=', tenantId).execute();
      return;
    }
    const text = JSON.stringify(directorySettingsInput(settings));
    await this.db
      .insertInto('tenant_directories')
      .values({ tenant_id: tenantId, settings: text, updated_at: now })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ settings: text, updated_at: now }))
      .execute();
  }

  async findAccountByExternalId(tenantId: string, externalId: string): Promise<Account | null> {
    const row = await this.db
      .selectFrom('accounts')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('external_id', '=', externalId)
      .executeTakeFirst();
    return row ? toAccount(row) : null;
  }

  async createAccount(a: NewAccount): Promise<Result<Account, 'login_taken'>> {
    const exists = async (db: Kysely<Database>) =>
      (await db.selectFrom('accounts').select('id').where('login', '=', a.login).executeTakeFirst()) !== undefined;
    if (await exists(this.db)) return err('login_taken');
    const row: AccountsTable = {
      id: a.id,
      tenant_id: a.tenantId,
      login: a.login,
      display_name: a.displayName,
      display_name_lower: a.displayName.toLowerCase(),
      role: a.role,
      enabled: a.enabled ? 1 : 0,
      password_hash: a.passwordHash,
      must_change_password: a.mustChangePassword ? 1 : 0,
      external_id: a.externalId ?? null,
      locale: null,
      created_at: a.now,
      updated_at: a.now,
    };
    try {
      await atomic(this.db, (db) => db.insertInto('accounts').values(row).execute());
    } catch (error) {
      if (isUniqueViolation(error) && (await exists(this.db))) return err('login_taken');
      throw error;
    }
    return ok(toAccount(row));
  }

  async getAccount(id: string): Promise<Account | null> {
    const row = await GET_ACCOUNT.first(this.db, { id });
    return row ? toAccount(row) : null;
  }

  async findAccountByLogin(normalizedLogin: string): Promise<Account | null> {
    const row = await ACCOUNT_BY_LOGIN.first(this.db, { login: normalizedLogin });
    return row ? toAccount(row) : null;
  }

  async findLoginContext(
    normalizedLogin: string,
    domain: string,
    noAccount: string,
    guard?: LoginGuard,
  ): Promise<{ account: Account | null; tenantOfDomain: Tenant | null; methods: Method[]; guarded: string | null }> {
    if (this.dialect !== 'postgres') {
      // SQLite: in-process calls, one after the other (and no guard to take: one writer at a time)
      const account = await this.findAccountByLogin(normalizedLogin);
      const tenantOfDomain = await this.findTenantByDomain(domain);
      return {
        account,
        tenantOfDomain,
        methods: await this.listMethods(account?.id ?? noAccount),
        guarded: null,
      };
    }
    // PostgreSQL: one round trip; the rows come as JSON with the columns' names (bigint as numbers).
    // With `guard`, the attempt guard too, when the domain's tenant is the one expected: its
    // subject is the account's id, or the login's subject without one (LockoutRepo `lockGuard`, the
    // same lock key); taken last, after the reads (the statement's snapshot is taken before it:
    // what must be read under the guard is read by the next statement)
    const rows = await LOGIN_CONTEXT.of(guard !== undefined).prepared(this.db, this.dialect, {
      login: normalizedLogin,
      domain,
      no_account: noAccount,
      guard_tenant_id: guard?.tenantId ?? null,
      guard_login_subject: guard?.loginSubject ?? null,
    });
    const row = rows[0]!;
    return {
      account: row.account ? toAccount(row.account) : null,
      tenantOfDomain: row.tenant ? toTenant(row.tenant, row.domains) : null,
      methods: row.methods.map(toMethod),
      guarded: row.guarded,
    };
  }

  async listAccounts(filter: AccountFilter): Promise<Account[]> {
    let query = this.db.selectFrom('accounts').selectAll();
    if (filter.tenantId !== undefined) query = query.where('tenant_id', '=', filter.tenantId);
    if (filter.role !== undefined) query = query.where('role', '=', filter.role);
    if (filter.fromDirectory) query = query.where('external_id', 'is not', null);
    if (filter.afterLogin !== undefined) query = query.where('login', '>', filter.afterLogin);
    if (filter.search !== undefined && filter.search !== '') {
      const pattern = `%${escapeLike(filter.search.toLowerCase())}%`;
      query = query.where(({ or }) =>
        or([
          sql<boolean>`lower(login) like ${pattern} escape '\\'`,
          sql<boolean>`display_name_lower like ${pattern} escape '\\'`,
        ]),
      );
    }
    const rows = await query.orderBy('login').limit(clampLimit(filter.limit)).execute();
    return rows.map(toAccount);
  }

  async updateAccount(id: string, patch: AccountPatch, now: number): Promise<Account | null> {
    const set: Partial<AccountsTable> = { updated_at: now };
    if (patch.login !== undefined) set.login = patch.login;
    if (patch.displayName !== undefined) {
      set.display_name = patch.displayName;
      set.display_name_lower = patch.displayName.toLowerCase();
    }
    if (patch.role !== undefined) set.role = patch.role;
    if (patch.enabled !== undefined) set.enabled = patch.enabled ? 1 : 0;
    if (patch.passwordHash !== undefined) set.password_hash = patch.passwordHash;
    if (patch.mustChangePassword !== undefined) set.must_change_password = patch.mustChangePassword ? 1 : 0;
    if (patch.locale !== undefined) set.locale = patch.locale;
    const row = await UPDATE_ACCOUNT.of(Object.keys(set) as (keyof AccountsTable)[]).first(this.db, { ...set, id });
    return row ? toAccount(row) : null;
  }

  /** Enabled accounts with role admin or global_admin in the tenant. */
  async countActiveAdmins(tenantId: string): Promise<number> {
    const row = await this.db
      .selectFrom('accounts')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', tenantId)
      .where('role', 'in', ['admin', 'global_admin'])
      .where('enabled', '=', 1)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async setMethod(
    accountId: string,
    kind: MethodKind,
    value: string,
    verifiedAt: number | null,
    now: number,
  ): Promise<Method> {
    const row = await this.db
      .insertInto('methods')
      .values({ account_id: accountId, kind, value, verified_at: verifiedAt, created_at: now, updated_at: now })
      .onConflict((oc) =>
        oc.columns(['account_id', 'kind']).doUpdateSet({ value, verified_at: verifiedAt, updated_at: now }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return toMethod(row);
  }

  async removeMethod(accountId: string, kind: MethodKind): Promise<boolean> {
    const result = await this.db
      .deleteFrom('methods')
      .where('account_id', '=', accountId)
      .where('kind', '=', kind)
      .executeTakeFirst();
    return result.numDeletedRows === 1n;
  }

  async alternateEmailDomains(tenantId: string, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('methods')
      .innerJoin('accounts', 'accounts.id', 'methods.account_id')
      .select('methods.value')
      .where('accounts.tenant_id', '=', tenantId)
      .where('methods.kind', '=', 'email')
      .orderBy('methods.account_id')
      .limit(limit)
      .execute();
    return rows.map((r) => r.value.slice(r.value.lastIndexOf('@') + 1));
  }

  async listMethods(accountId: string): Promise<Method[]> {
    const rows = await LIST_METHODS.rows(this.db, { account_id: accountId });
    return rows.map(toMethod);
  }

  async createSession(s: Omit<Session, 'revokedAt'>): Promise<void> {
    await CREATE_SESSION.run(this.db, {
      id_hash: s.idHash,
      account_id: s.accountId,
      created_at: s.createdAt,
      last_seen_at: s.lastSeenAt,
      expires_at: s.expiresAt,
      revoked_at: null,
    });
  }

  async getSession(idHash: string): Promise<Session | null> {
    const row = await GET_SESSION.first(this.db, { id_hash: idHash });
    return row ? toSession(row) : null;
  }

  /** Updates last_seen_at of a session that is not revoked. */
  async touchSession(idHash: string, now: number): Promise<void> {
    await TOUCH_SESSION.run(this.db, { id_hash: idHash, now });
  }

  /** Live = not revoked and not yet expired (expires_at > now); returns how many it revoked. */
  async revokeSessions(accountId: string, now: number): Promise<number> {
    return Number(await REVOKE_SESSIONS.affected(this.db, { account_id: accountId, now }));
  }

  private async withDomains(row: Selectable<TenantsTable>): Promise<Tenant> {
    const domains = await TENANT_DOMAINS.rows(this.db, { tenant_id: row.id });
    return toTenant(
      row,
      domains.map((d) => d.domain),
    );
  }
}

// The statements, each built once per dialect (sql-template.ts).

/** PostgreSQL: the tenant with its domains in one round trip. */
const TENANT_WITH_DOMAINS = new SqlTemplate(
  (_db, p: { id: string }) => sql<{
    tenant: Selectable<TenantsTable>;
    domains: string[];
  }>`select row_to_json(t) as tenant,
        (select coalesce(json_agg(d.domain order by d.domain), '[]') from tenant_domains d where d.tenant_id = t.id) as domains
        from tenants t where t.id = ${p.id}`,
);

const GET_TENANT = new SqlTemplate((db, p: { id: string }) =>
  db.selectFrom('tenants').selectAll().where('id', '=', p.id),
);

const TENANT_BY_DOMAIN = new SqlTemplate((db, p: { domain: string }) =>
  db
    .selectFrom('tenant_domains')
    .innerJoin('tenants', 'tenants.id', 'tenant_domains.tenant_id')
    .selectAll('tenants')
    .where('tenant_domains.domain', '=', p.domain),
);

const TENANT_DOMAINS = new SqlTemplate((db, p: { tenant_id: string }) =>
  db.selectFrom('tenant_domains').select('domain').where('tenant_id', '=', p.tenant_id).orderBy('domain'),
);

const GET_ACCOUNT = new SqlTemplate((db, p: { id: string }) =>
  db.selectFrom('accounts').selectAll().where('id', '=', p.id),
);

const ACCOUNT_BY_LOGIN = new SqlTemplate((db, p: { login: string }) =>
  db.selectFrom('accounts').selectAll().where('login', '=', p.login),
);

type LoginContextArgs = {
  login: string;
  domain: string;
  no_account: string;
  guard_tenant_id: string | null;
  guard_login_subject: string | null;
};

/**
 * PostgreSQL: the login's account, its domain's tenant with its domains, the account's methods
 * and, with `guard`, the attempt guard, in one statement (`findLoginContext`).
 */
const LOGIN_CONTEXT = new TemplateFamily(
  (guard: boolean) => String(guard),
  (guard) => (_db, p: LoginContextArgs) => {
    const guarded = guard
      ? sql<string | null>`case when (select d.tenant_id from tenant_domains d where d.domain = ${p.domain})
          is not distinct from ${p.guard_tenant_id}::text
        then (select g.subject from
          (select coalesce((select a.id from accounts a where a.login = ${p.login}), ${p.guard_login_subject}::text) as subject) g,
          lateral (select pg_advisory_xact_lock(hashtextextended(${GUARD_KEY_PREFIX} || g.subject, 0))) l)
        end`
      : sql<string | null>`null::text`;
    return sql<{
      account: Selectable<AccountsTable> | null;
      tenant: Selectable<TenantsTable> | null;
      domains: string[];
      methods: Selectable<MethodsTable>[];
      guarded: string | null;
    }>`select
      (select row_to_json(a) from accounts a where a.login = ${p.login}) as account,
      (select row_to_json(t) from tenant_domains d join tenants t on t.id = d.tenant_id where d.domain = ${p.domain}) as tenant,
      (select coalesce(json_agg(o.domain order by o.domain), '[]') from tenant_domains o
        where o.tenant_id = (select d.tenant_id from tenant_domains d where d.domain = ${p.domain})) as domains,
      (select coalesce(json_agg(m order by m.kind), '[]') from methods m
        where m.account_id = coalesce((select a.id from accounts a where a.login = ${p.login}), ${p.no_account})) as methods,
      ${guarded} as guarded`;
  },
);

/** Sets the columns of the patch (a template per set of columns). */
const UPDATE_ACCOUNT = new TemplateFamily(
  (set: readonly (keyof AccountsTable)[]) => set.join(),
  (set) => (db, p: Partial<AccountsTable> & { id: string }) =>
    db
      .updateTable('accounts')
      .set(Object.fromEntries(set.map((c) => [c, p[c]])))
      .where('id', '=', p.id)
      .returningAll(),
);

const LIST_METHODS = new SqlTemplate((db, p: { account_id: string }) =>
  db.selectFrom('methods').selectAll().where('account_id', '=', p.account_id).orderBy('kind'),
);

const CREATE_SESSION = new SqlTemplate((db, p: Selectable<SessionsTable>) =>
  db.insertInto('sessions').values(
    columns(p, {
      id_hash: true,
      account_id: true,
      created_at: true,
      last_seen_at: true,
      expires_at: true,
      revoked_at: true,
    }),
  ),
);

const GET_SESSION = new SqlTemplate((db, p: { id_hash: string }) =>
  db.selectFrom('sessions').selectAll().where('id_hash', '=', p.id_hash),
);

/** Updates last_seen_at of a session that is not revoked. */
const TOUCH_SESSION = new SqlTemplate((db, p: { id_hash: string; now: number }) =>
  db
    .updateTable('sessions')
    .set({ last_seen_at: p.now })
    .where('id_hash', '=', p.id_hash)
    .where('revoked_at', 'is', null),
);

const REVOKE_SESSIONS = new SqlTemplate((db, p: { account_id: string; now: number }) =>
  db
    .updateTable('sessions')
    .set({ revoked_at: p.now })
    .where('account_id', '=', p.account_id)
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', p.now),
);

/** A tenant's policy as stored: with the gate switches an older release reads (a rolling upgrade). */
function storedPolicyText(policy: TenantPolicy): string {
  return JSON.stringify({ ...policy, ...legacyGateSwitches(policy.gates) });
}

/**
 * Domains come back sorted; a policy stored before a field existed gets that field's default, and
 * one stored before the gate policy gets the gates its two switches meant.
 */
function toTenant(row: Selectable<TenantsTable>, domains: string[]): Tenant {
  const stored = JSON.parse(row.policy) as Partial<TenantPolicy> & Record<string, unknown>;
  const { userGates: _u, adminsRequirePasskey: _a, ...rest } = stored;
  const policy = { ...DEFAULT_TENANT_POLICY, ...rest, gates: storedGatePolicy(stored) };
  return { id: row.id, name: row.name, domains, policy, createdAt: row.created_at, updatedAt: row.updated_at };
}

function toAccount(row: Selectable<AccountsTable>): Account {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    login: row.login,
    displayName: row.display_name,
    role: row.role as Role,
    enabled: row.enabled === 1,
    passwordHash: row.password_hash,
    mustChangePassword: row.must_change_password === 1,
    externalId: row.external_id,
    // only when one is saved: accounts without a language look exactly as before
    ...(row.locale ? { locale: row.locale } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toMethod(row: Selectable<MethodsTable>): Method {
  return {
    accountId: row.account_id,
    kind: row.kind as MethodKind,
    value: row.value,
    verifiedAt: row.verified_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    usableFrom: row.usable_from === null ? null : Number(row.usable_from),
  };
}

function toSession(row: Selectable<SessionsTable>): Session {
  return {
    idHash: row.id_hash,
    accountId: row.account_id,
    createdAt: row.created_at,
    lastSeenAt: row.last_seen_at,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}
