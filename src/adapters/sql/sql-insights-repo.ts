import { sql, type Kysely } from 'kysely';
import type { RegistrationRow, ResetEventRow } from '../../core/insights.ts';
import type { MethodKind } from '../../core/contact.ts';
import type { AccountWays } from '../../core/security-info-policy.ts';
import type { AdminWays, AuditQuery, AuditRow, GateRegistration, InsightsRepo } from '../../ports/insights-store.ts';
import type { AuditEvent } from '../../ports/store.ts';
import type { Database } from './database.ts';

type Details = AuditEvent['details'];

function parseDetails(text: string): Details {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Details) : {};
  } catch {
    return {};
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

/**
 * The audit viewer's and the insights' queries over Kysely (SQLite and PostgreSQL alike). Every
 * query names the tenant; logins are joined only from accounts of that same tenant.
 */
export class SqlInsightsRepo implements InsightsRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async listAudit(q: AuditQuery): Promise<AuditRow[]> {
    let query = this.db
      .selectFrom('audit_events as e')
      .leftJoin('accounts as a', (join) =>
        join.onRef('a.id', '=', 'e.account_id').onRef('a.tenant_id', '=', 'e.tenant_id'),
      )
      // `admin:<id>` actors: the admin's login (substr from the 7th character is the id)
      .leftJoin('accounts as act', (join) =>
        join.on((eb) =>
          eb.and([
            eb('e.actor', 'like', 'admin:%'),
            eb('act.id', '=', sql<string>`substr(${sql.ref('e.actor')}, 7)`),
            eb('act.tenant_id', '=', eb.ref('e.tenant_id')),
          ]),
        ),
      )
      .select([
        'e.id',
        'e.at',
        'e.tenant_id',
        'e.account_id',
        'e.actor',
        'e.type',
        'e.outcome',
        'e.ip',
        'e.user_agent',
        'e.details',
        'e.seq',
        'e.prev_hash',
        'e.hash',
        'a.login as account_login',
        'act.login as actor_login',
      ])
      .where('e.tenant_id', '=', q.tenantId);
    if (q.accountId !== undefined) query = query.where('e.account_id', '=', q.accountId);
    if (q.type !== undefined) query = query.where('e.type', '=', q.type);
    if (q.outcome !== undefined) query = query.where('e.outcome', '=', q.outcome);
    if (q.since !== undefined) query = query.where('e.at', '>=', q.since);
    if (q.until !== undefined) query = query.where('e.at', '<', q.until);
    if (q.beforeId !== undefined) query = query.where('e.id', '<', q.beforeId);
    const limit = Math.min(1000, Math.max(1, Math.floor(q.limit)));
    const rows = await query.orderBy('e.id', 'desc').limit(limit).execute();
    return rows.map((r) => ({
      id: Number(r.id),
      at: Number(r.at),
      tenantId: r.tenant_id,
      accountId: r.account_id,
      actor: r.actor,
      type: r.type,
      outcome: r.outcome,
      ip: r.ip,
      userAgent: r.user_agent,
      details: parseDetails(r.details),
      accountLogin: r.account_login ?? null,
      actorLogin: r.actor_login ?? null,
      seq: r.seq === null ? null : Number(r.seq),
      prevHash: r.prev_hash,
      hash: r.hash,
    }));
  }

  async auditVocabulary(tenantId: string, since: number): Promise<{ types: string[]; outcomes: string[] }> {
    const base = this.db.selectFrom('audit_events').where('tenant_id', '=', tenantId).where('at', '>=', since);
    const [types, outcomes] = await Promise.all([
      base.select('type').distinct().orderBy('type').limit(500).execute(),
      base.select('outcome').distinct().orderBy('outcome').limit(500).execute(),
    ]);
    return { types: types.map((r) => r.type), outcomes: outcomes.map((r) => r.outcome) };
  }

  async resetEvents(
    tenantId: string,
    types: readonly string[],
    since: number,
    until: number,
    limit: number,
  ): Promise<ResetEventRow[]> {
    if (types.length === 0) return [];
    const rows = await this.db
      .selectFrom('audit_events')
      .select(['at', 'account_id', 'type', 'outcome', 'details'])
      .where('tenant_id', '=', tenantId)
      .where('type', 'in', [...types])
      .where('at', '>=', since)
      .where('at', '<=', until)
      .orderBy('id', 'desc')
      .limit(Math.max(1, Math.floor(limit)))
      .execute();
    return rows.map((r) => {
      const d = parseDetails(r.details);
      return {
        at: Number(r.at),
        accountId: r.account_id,
        type: r.type,
        outcome: r.outcome,
        flow: str(d.flow),
        channel: str(d.channel),
        by: str(d.by),
      };
    });
  }

  async registration(tenantId: string): Promise<RegistrationRow[]> {
    const verified = (kind: string) =>
      sql<number>`case when exists (select 1 from methods m where m.account_id = a.id and m.kind = ${kind} and m.verified_at is not null) then 1 else 0 end`;
    const result = await sql<{ role: string; email: number; phone: number; count: number | string }>`
      select t.role, t.email, t.phone, count(*) as count
      from (
        select a.role as role, ${verified('email')} as email, ${verified('phone')} as phone
        from accounts a
        where a.tenant_id = ${tenantId} and a.enabled = 1
      ) t
      group by t.role, t.email, t.phone
      order by t.role, t.email, t.phone`.execute(this.db);
    return result.rows.map((r) => ({
      role: r.role,
      email: Number(r.email) === 1,
      phone: Number(r.phone) === 1,
      count: Number(r.count),
    }));
  }

  /** An authenticator app or a passkey of account `a` registered after `horizon` (it may be cooling off). */
  private recentStrong(horizon: number) {
    return sql<boolean>`(exists (select 1 from authenticators x where x.account_id = a.id and x.confirmed_at > ${horizon})
      or exists (select 1 from passkeys p where p.account_id = a.id and p.created_at > ${horizon}))`;
  }

  async gateRegistration(tenantId: string, now: number, horizon: number): Promise<GateRegistration> {
    // every app and passkey of these accounts is out of its cooling-off (core coolingOffHorizon)
    const method = (kind: string) =>
      sql<number>`case when exists (select 1 from methods m where m.account_id = a.id and m.kind = ${kind} and m.verified_at is not null and (m.usable_from is null or m.usable_from <= ${now})) then 1 else 0 end`;
    const result = await sql<{
      admin: number;
      email: number;
      sms: number;
      totp: number;
      passkey: number;
      count: number | string;
    }>`
      select t.admin, t.email, t.sms, t.totp, t.passkey, count(*) as count
      from (
        select case when a.role = 'user' then 0 else 1 end as admin, ${method('email')} as email, ${method('phone')} as sms,
          case when exists (select 1 from authenticators x where x.account_id = a.id and x.confirmed_at is not null) then 1 else 0 end as totp,
          case when exists (select 1 from passkeys p where p.account_id = a.id) then 1 else 0 end as passkey
        from accounts a
        where a.tenant_id = ${tenantId} and a.enabled = 1 and not ${this.recentStrong(horizon)}
      ) t
      group by t.admin, t.email, t.sms, t.totp, t.passkey`.execute(this.db);
    const groups = result.rows.map((r) => ({
      admin: Number(r.admin) === 1,
      email: Number(r.email) === 1,
      sms: Number(r.sms) === 1,
      totp: Number(r.totp) === 1,
      passkey: Number(r.passkey) === 1,
      count: Number(r.count),
    }));
    const recent = await sql<{ id: string; role: string }>`
      select a.id, a.role from accounts a
      where a.tenant_id = ${tenantId} and a.enabled = 1 and ${this.recentStrong(horizon)}
      order by a.id`.execute(this.db);
    const ways = await this.waysOf(recent.rows.map((r) => r.id));
    return {
      groups,
      recent: recent.rows.map((r) => ({ id: r.id, admin: r.role !== 'user', ...ways.get(r.id)! })),
    };
  }

  async adminRegistrations(tenantId: string, limit: number): Promise<AdminWays[]> {
    const admins = await this.db
      .selectFrom('accounts')
      .select(['id', 'login', 'display_name'])
      .where('tenant_id', '=', tenantId)
      .where('enabled', '=', 1)
      .where('role', '<>', 'user')
      .orderBy('login')
      .limit(Math.max(1, Math.floor(limit)))
      .execute();
    const ways = await this.waysOf(admins.map((a) => a.id));
    return admins.map((a) => ({ id: a.id, login: a.login, displayName: a.display_name, ...ways.get(a.id)! }));
  }

  /** Every way in of these accounts (core AccountWays): verified methods, the latest confirmed app, passkeys. */
  private async waysOf(ids: readonly string[]): Promise<Map<string, AccountWays>> {
    const out = new Map<
      string,
      { methods: AccountWays['methods'][number][]; app: number | null; passkeys: { id: string; createdAt: number }[] }
    >();
    for (const id of ids) out.set(id, { methods: [], app: null, passkeys: [] });
    for (let i = 0; i < ids.length; i += WAYS_CHUNK) {
      const chunk = ids.slice(i, i + WAYS_CHUNK);
      const methods = await this.db
        .selectFrom('methods')
        .select(['account_id', 'kind', 'value', 'verified_at', 'usable_from'])
        .where('account_id', 'in', chunk)
        .where('verified_at', 'is not', null)
        .orderBy('account_id')
        .orderBy('kind')
        .execute();
      for (const m of methods) {
        out.get(m.account_id)!.methods.push({
          kind: m.kind as MethodKind,
          value: m.value,
          verifiedAt: Number(m.verified_at),
          usableFrom: m.usable_from === null ? null : Number(m.usable_from),
        });
      }
      const apps = await this.db
        .selectFrom('authenticators')
        .select(['account_id', (eb) => eb.fn.max('confirmed_at').as('confirmed_at')])
        .where('account_id', 'in', chunk)
        .where('confirmed_at', 'is not', null)
        .groupBy('account_id')
        .execute();
      for (const a of apps) out.get(a.account_id)!.app = Number(a.confirmed_at);
      const passkeys = await this.db
        .selectFrom('passkeys')
        .select(['id', 'account_id', 'created_at'])
        .where('account_id', 'in', chunk)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      for (const p of passkeys) out.get(p.account_id)!.passkeys.push({ id: p.id, createdAt: Number(p.created_at) });
    }
    return new Map(
      [...out].map(([id, w]) => [id, { methods: w.methods, authenticatorConfirmedAt: w.app, passkeys: w.passkeys }]),
    );
  }
}

/** Accounts whose ways in one statement reads (well under SQLite's and PostgreSQL's parameter limits). */
const WAYS_CHUNK = 500;
