import {
  PostgresAdapter,
  sql,
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type Selectable,
  type SqlBool,
} from 'kysely';
import { insertIf } from './conditional-insert.ts';
import { columns, SqlTemplate, TemplateFamily } from './sql-template.ts';
import type { FlowState, Gate } from '../../core/reset-flow.ts';
import type { MessageKind } from '../../core/sending-limits.ts';
import {
  SUPERSEDED_CHECKED,
  type CodeRecord,
  type FlowPatch,
  type FlowRecord,
  type FlowRepo,
  type NewCode,
} from '../../ports/flow-store.ts';
import type { Database, FlowCodesTable, FlowsTable } from './database.ts';
import type { SqlDialect } from './migrations.ts';

/** Selects rows of `flows` (the flows a step ends). */
type FlowFilter = (eb: ExpressionBuilder<Database, 'flows'>) => Expression<SqlBool>;

/**
 * Reset flows over Kysely. The race-sensitive operations are one conditional statement each:
 * `update` (compare-and-set on version), `countAttempt` (`attempts < max`), `consumeCode`
 * (`used_at IS NULL`); each reports whether it changed exactly one row.
 */
export class SqlFlowRepo implements FlowRepo {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: SqlDialect,
  ) {}

  async create(f: FlowRecord): Promise<void> {
    await INSERT_FLOW.later(this.db, this.dialect, {
      id: f.id,
      tenant_id: f.tenantId,
      account_id: f.accountId,
      deliverable: f.deliverable ? 1 : 0,
      login: f.login,
      gates: f.gates.join(','),
      gate_accepts: f.accepts ? f.accepts.map((a) => a.join(',')).join('|') : null,
      passed: f.passed,
      state: f.state,
      binding_hash: f.bindingHash,
      prev_binding_hash: f.prevBindingHash,
      prev_binding_until: f.prevBindingUntil,
      masked_email: f.maskedEmail,
      created_at: f.createdAt,
      first_sent_at: f.firstSentAt,
      last_sent_at: f.lastSentAt,
      codes_sent: f.codesSent,
      completed_at: f.completedAt,
      ip: f.ip,
      user_agent: f.userAgent,
      version: f.version,
    });
  }

  async get(id: string): Promise<FlowRecord | null> {
    const row = await GET_FLOW.first(this.db, { id });
    return row ? toFlow(row) : null;
  }

  async update(id: string, version: number, patch: FlowPatch): Promise<FlowRecord | null> {
    const set: Partial<Selectable<FlowsTable>> = { version: version + 1 };
    if (patch.passed !== undefined) set.passed = patch.passed;
    if (patch.state !== undefined) set.state = patch.state;
    if (patch.bindingHash !== undefined) set.binding_hash = patch.bindingHash;
    if (patch.prevBindingHash !== undefined) set.prev_binding_hash = patch.prevBindingHash;
    if (patch.prevBindingUntil !== undefined) set.prev_binding_until = patch.prevBindingUntil;
    if (patch.firstSentAt !== undefined) set.first_sent_at = patch.firstSentAt;
    if (patch.lastSentAt !== undefined) set.last_sent_at = patch.lastSentAt;
    if (patch.codesSent !== undefined) set.codes_sent = patch.codesSent;
    if (patch.completedAt !== undefined) set.completed_at = patch.completedAt;
    const row = await UPDATE_FLOW.of(Object.keys(set) as (keyof FlowsTable)[]).first(this.db, {
      ...set,
      id,
      expected_version: version,
    });
    return row ? toFlow(row) : null;
  }

  async issueCode(
    c: NewCode,
    options: { readonly supersede?: boolean; readonly discard?: boolean } = {},
  ): Promise<void> {
    if (options.supersede !== false) {
      await SUPERSEDE_FLOW_CODES.later(this.db, this.dialect, { now: c.sentAt, flow_id: c.flowId });
    }
    // one conditional insert, the same statement whether it stores the code or not (see insertIf)
    await insertIf(
      this.db,
      'flow_codes',
      {
        id: c.id,
        flow_id: c.flowId,
        channel: c.channel,
        code_hash: c.codeHash,
        link_hash: c.linkHash,
        sent_at: c.sentAt,
        expires_at: c.expiresAt,
        attempts: 0,
        used_at: null,
        superseded_at: null,
      },
      options.discard !== true,
      this.dialect,
    );
  }

  async liveCode(flowId: string, channel: Gate): Promise<CodeRecord | null> {
    const row = await LIVE_CODE.first(this.db, { flow_id: flowId, channel });
    return row ? toCode(row) : null;
  }

  async findByLinkHash(linkHash: string): Promise<CodeRecord | null> {
    const row = await CODE_BY_LINK.first(this.db, { link_hash: linkHash });
    return row ? toCode(row) : null;
  }

  async countAttempt(codeId: string, max: number): Promise<number | null> {
    const row = await COUNT_ATTEMPT.first(this.db, { id: codeId, max });
    return row ? Number(row.attempts) : null;
  }

  async getCode(id: string): Promise<CodeRecord | null> {
    const row = await GET_CODE.first(this.db, { id });
    return row ? toCode(row) : null;
  }

  async consumeCode(codeId: string, now: number): Promise<boolean> {
    return Number(await CONSUME_CODE.affected(this.db, { id: codeId, now })) === 1;
  }

  async endAccountFlows(accountId: string, exceptFlowId: string | null, now: number): Promise<void> {
    await this.endFlows('account', { account_id: accountId, login: null, now, except: exceptFlowId });
  }

  async endLoginFlows(login: string, now: number): Promise<void> {
    await this.endFlows('login', { account_id: null, login, now, except: null });
  }

  /**
   * Ends the live flows that `scope` selects (but `except`): their unused codes and links are
   * marked superseded (the outbox then drops their messages too), and the flows expire.
   */
  private async endFlows(scope: EndScope, args: EndArgs): Promise<void> {
    await SUPERSEDE_SCOPE_CODES.of(scope).later(this.db, this.dialect, args);
    await EXPIRE_FLOWS.of({ scope, except: args.except !== null }).later(this.db, this.dialect, args);
  }

  async codesToCheck(flowId: string, channel: Gate): Promise<{ live: CodeRecord | null; superseded: CodeRecord[] }> {
    const rows = await CODES_TO_CHECK.rows(this.db, { flow_id: flowId, channel });
    // live codes first (normally one), then the replaced ones, each newest first
    const live = rows.find((r) => r.superseded_at === null);
    const superseded = rows.filter((r) => r.superseded_at !== null).slice(0, SUPERSEDED_CHECKED);
    return { live: live ? toCode(live) : null, superseded: superseded.map(toCode) };
  }

  async endEarlierFlows(login: string, accountId: string, now: number): Promise<void> {
    // the flows of the account, and those started for the login before it had one (or without one)
    await this.endFlows('earlier', { account_id: accountId, login, now, except: null });
  }

  async countMessages(filter: {
    accountId?: string;
    tenantId?: string;
    channel: 'email' | 'sms';
    kind?: MessageKind;
    since: number;
  }): Promise<number> {
    const row = await COUNT_MESSAGES.of(filter).first(this.db, {
      channel: filter.channel,
      since: filter.since,
      account_id: filter.accountId ?? null,
      tenant_id: filter.tenantId ?? null,
    });
    return Number(row!.n);
  }
}

type EndScope = 'account' | 'login' | 'earlier';
type EndArgs = { account_id: string | null; login: string | null; now: number; except: string | null };

/** The flows each way of ending flows selects. */
const END_SCOPE: Record<EndScope, (p: EndArgs) => FlowFilter> = {
  account: (p) => (eb) => eb('account_id', '=', p.account_id),
  login: (p) => (eb) => eb.and([eb('account_id', 'is', null), eb('login', '=', p.login!)]),
  // the flows of the account, and those started for the login before it had one (or without one)
  earlier: (p) => (eb) =>
    eb.or([eb('account_id', '=', p.account_id), eb.and([eb('account_id', 'is', null), eb('login', '=', p.login!)])]),
};

// The statements, each built once per dialect (sql-template.ts).

const FLOW_COLUMNS = {
  id: true,
  tenant_id: true,
  account_id: true,
  deliverable: true,
  login: true,
  gates: true,
  gate_accepts: true,
  passed: true,
  state: true,
  binding_hash: true,
  prev_binding_hash: true,
  prev_binding_until: true,
  masked_email: true,
  created_at: true,
  first_sent_at: true,
  last_sent_at: true,
  codes_sent: true,
  completed_at: true,
  ip: true,
  user_agent: true,
  version: true,
} as const;

const INSERT_FLOW = new SqlTemplate((db, p: Selectable<FlowsTable>) =>
  db.insertInto('flows').values(columns(p, FLOW_COLUMNS)),
);

const GET_FLOW = new SqlTemplate((db, p: { id: string }) => db.selectFrom('flows').selectAll().where('id', '=', p.id));

/** A compare-and-set on version, setting the columns of the patch (a template per set of columns). */
const UPDATE_FLOW = new TemplateFamily(
  (set: readonly (keyof FlowsTable)[]) => set.join(),
  (set) => (db, p: Partial<Selectable<FlowsTable>> & { id: string; expected_version: number }) =>
    db
      .updateTable('flows')
      .set(Object.fromEntries(set.map((c) => [c, p[c]])))
      .where('id', '=', p.id)
      .where('version', '=', p.expected_version)
      .returningAll(),
);

const SUPERSEDE_FLOW_CODES = new SqlTemplate((db, p: { now: number; flow_id: string }) =>
  db
    .updateTable('flow_codes')
    .set({ superseded_at: p.now })
    .where('flow_id', '=', p.flow_id)
    .where('used_at', 'is', null)
    .where('superseded_at', 'is', null),
);

const LIVE_CODE = new SqlTemplate((db, p: { flow_id: string; channel: string }) =>
  db
    .selectFrom('flow_codes')
    .selectAll()
    .where('flow_id', '=', p.flow_id)
    .where('channel', '=', p.channel)
    .where('used_at', 'is', null)
    .where('superseded_at', 'is', null)
    .orderBy('sent_at', 'desc'),
);

const CODE_BY_LINK = new SqlTemplate((db, p: { link_hash: string }) =>
  db.selectFrom('flow_codes').selectAll().where('link_hash', '=', p.link_hash),
);

const COUNT_ATTEMPT = new SqlTemplate((db, p: { id: string; max: number }) =>
  db
    .updateTable('flow_codes')
    .set({ attempts: sql<number>`attempts + 1` })
    .where('id', '=', p.id)
    .where('attempts', '<', p.max)
    .where('used_at', 'is', null)
    .where('superseded_at', 'is', null)
    .returning('attempts'),
);

const GET_CODE = new SqlTemplate((db, p: { id: string }) =>
  db.selectFrom('flow_codes').selectAll().where('id', '=', p.id),
);

const CONSUME_CODE = new SqlTemplate((db, p: { id: string; now: number }) =>
  db
    .updateTable('flow_codes')
    .set({ used_at: p.now })
    .where('id', '=', p.id)
    .where('used_at', 'is', null)
    .where('superseded_at', 'is', null),
);

const SUPERSEDE_SCOPE_CODES = new TemplateFamily(
  (scope: EndScope) => scope,
  (scope) => (db, p: EndArgs) => {
    const flowIds = db.selectFrom('flows').select('id').where(END_SCOPE[scope](p));
    return (
      db
        .updateTable('flow_codes')
        .set({ superseded_at: p.now })
        // On PostgreSQL `= any(array(<the flows>))`, not `in (<the flows>)`: the flows' ids are found
        // first (an init plan, through the flows' indexes) and the codes through their flow_id
        // index. With `in`, the planner may drive the update from flow_codes instead, a scan of
        // every code with one probe of flows per code, when its statistics lag behind a growing
        // table: the benchmark's reset start read 2,403 buffers per call (13.7 ms) at 1,900
        // starts. SQLite searches the flows' indexes first either way.
        .where((eb) =>
          db.getExecutor().adapter instanceof PostgresAdapter
            ? eb('flow_id', '=', sql<string>`any(array(${flowIds}))`)
            : eb('flow_id', 'in', flowIds),
        )
        .where('used_at', 'is', null)
        .where('superseded_at', 'is', null)
    );
  },
);

const EXPIRE_FLOWS = new TemplateFamily(
  (shape: { scope: EndScope; except: boolean }) => `${shape.scope}:${shape.except}`,
  ({ scope, except }) =>
    (db, p: EndArgs) =>
      db
        .updateTable('flows')
        .set({ state: 'expired', version: sql<number>`version + 1` })
        .where(END_SCOPE[scope](p))
        .where('state', 'not in', ['completed', 'unlocked', 'expired'])
        .$if(except, (q) => q.where('id', '!=', p.except!)),
);

/** A code check's reads: the live codes first (normally one), then the replaced ones, each newest first. */
const CODES_TO_CHECK = new SqlTemplate((db, p: { flow_id: string; channel: string }) =>
  db
    .selectFrom('flow_codes')
    .selectAll()
    .where('flow_id', '=', p.flow_id)
    .where('channel', '=', p.channel)
    .where('used_at', 'is', null)
    .orderBy(sql`superseded_at is null`, 'desc')
    .orderBy('sent_at', 'desc')
    .limit(SUPERSEDED_CHECKED + 1),
);

/** Messages of a channel since a time, by the filters given (a template per set of filters). */
const COUNT_MESSAGES = new TemplateFamily(
  (f: { accountId?: string; tenantId?: string; kind?: MessageKind }) =>
    `${f.accountId !== undefined}:${f.tenantId !== undefined}:${f.kind ?? ''}`,
  (f) => (db, p: { channel: string; since: number; account_id: string | null; tenant_id: string | null }) => {
    let q = db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('channel', '=', p.channel)
      .where('created_at', '>=', p.since);
    if (f.accountId !== undefined) q = q.where('account_id', '=', p.account_id);
    if (f.tenantId !== undefined) q = q.where('tenant_id', '=', p.tenant_id);
    // core's messageKind: a code or link message has a lifetime, a notice has none
    if (f.kind === 'code') q = q.where('expires_at', 'is not', null);
    if (f.kind === 'notice') q = q.where('expires_at', 'is', null);
    return q;
  },
);

function toFlow(r: Selectable<FlowsTable>): FlowRecord {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    accountId: r.account_id,
    deliverable: Number(r.deliverable) === 1,
    login: r.login,
    gates: r.gates.split(',') as Gate[],
    accepts: r.gate_accepts === null ? null : r.gate_accepts.split('|').map((a) => a.split(',') as Gate[]),
    passed: Number(r.passed),
    state: r.state as FlowState,
    bindingHash: r.binding_hash,
    prevBindingHash: r.prev_binding_hash,
    prevBindingUntil: r.prev_binding_until === null ? null : Number(r.prev_binding_until),
    maskedEmail: r.masked_email,
    createdAt: Number(r.created_at),
    firstSentAt: r.first_sent_at === null ? null : Number(r.first_sent_at),
    lastSentAt: r.last_sent_at === null ? null : Number(r.last_sent_at),
    codesSent: Number(r.codes_sent),
    completedAt: r.completed_at === null ? null : Number(r.completed_at),
    ip: r.ip,
    userAgent: r.user_agent,
    version: Number(r.version),
  };
}

function toCode(r: Selectable<FlowCodesTable>): CodeRecord {
  return {
    id: r.id,
    flowId: r.flow_id,
    channel: r.channel as Gate,
    codeHash: r.code_hash,
    linkHash: r.link_hash,
    sentAt: Number(r.sent_at),
    expiresAt: Number(r.expires_at),
    attempts: Number(r.attempts),
    usedAt: r.used_at === null ? null : Number(r.used_at),
    supersededAt: r.superseded_at === null ? null : Number(r.superseded_at),
  };
}
