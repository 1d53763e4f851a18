import {
  sql,
  type Compilable,
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type Selectable,
  type SqlBool,
} from 'kysely';
import { insertIf } from './conditional-insert.ts';
import { executeLater } from './pg-write-batching.ts';
import type { FlowState, Gate } from '../../core/reset-flow.ts';
import type { MessageKind } from '../../core/sending-limits.ts';
import type { CodeRecord, FlowPatch, FlowRecord, FlowRepo, NewCode } from '../../ports/flow-store.ts';
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
    await this.later(
      this.db.insertInto('flows').values({
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
      }),
    );
  }

  /** A write whose caller reads nothing back: on PostgreSQL it may travel with the next statement (pg-write-batching.ts). */
  private later(query: Compilable): Promise<void> {
    return executeLater(this.db as unknown as Kysely<never>, this.dialect, query);
  }

  async get(id: string): Promise<FlowRecord | null> {
    const row = await this.db.selectFrom('flows').selectAll().where('id', '=', id).executeTakeFirst();
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
    const row = await this.db
      .updateTable('flows')
      .set(set)
      .where('id', '=', id)
      .where('version', '=', version)
      .returningAll()
      .executeTakeFirst();
    return row ? toFlow(row) : null;
  }

  async issueCode(
    c: NewCode,
    options: { readonly supersede?: boolean; readonly discard?: boolean } = {},
  ): Promise<void> {
    if (options.supersede !== false) {
      await this.later(
        this.db
          .updateTable('flow_codes')
          .set({ superseded_at: c.sentAt })
          .where('flow_id', '=', c.flowId)
          .where('used_at', 'is', null)
          .where('superseded_at', 'is', null),
      );
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
    const row = await this.db
      .selectFrom('flow_codes')
      .selectAll()
      .where('flow_id', '=', flowId)
      .where('channel', '=', channel)
      .where('used_at', 'is', null)
      .where('superseded_at', 'is', null)
      .orderBy('sent_at', 'desc')
      .executeTakeFirst();
    return row ? toCode(row) : null;
  }

  async findByLinkHash(linkHash: string): Promise<CodeRecord | null> {
    const row = await this.db.selectFrom('flow_codes').selectAll().where('link_hash', '=', linkHash).executeTakeFirst();
    return row ? toCode(row) : null;
  }

  async countAttempt(codeId: string, max: number): Promise<number | null> {
    const row = await this.db
      .updateTable('flow_codes')
      .set({ attempts: sql<number>`attempts + 1` })
      .where('id', '=', codeId)
      .where('attempts', '<', max)
      .where('used_at', 'is', null)
      .where('superseded_at', 'is', null)
      .returning('attempts')
      .executeTakeFirst();
    return row ? Number(row.attempts) : null;
  }

  async getCode(id: string): Promise<CodeRecord | null> {
    const row = await this.db.selectFrom('flow_codes').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toCode(row) : null;
  }

  async consumeCode(codeId: string, now: number): Promise<boolean> {
    const r = await this.db
      .updateTable('flow_codes')
      .set({ used_at: now })
      .where('id', '=', codeId)
      .where('used_at', 'is', null)
      .where('superseded_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) === 1;
  }

  async endAccountFlows(accountId: string, exceptFlowId: string | null, now: number): Promise<void> {
    await this.endFlows((eb) => eb('account_id', '=', accountId), now, exceptFlowId);
  }

  async endLoginFlows(login: string, now: number): Promise<void> {
    await this.endFlows((eb) => eb.and([eb('account_id', 'is', null), eb('login', '=', login)]), now);
  }

  /**
   * Ends the live flows that `which` selects (but `exceptFlowId`): their unused codes and links
   * are marked superseded (the outbox then drops their messages too), and the flows expire.
   */
  private async endFlows(which: FlowFilter, now: number, exceptFlowId: string | null = null): Promise<void> {
    await this.later(
      this.db
        .updateTable('flow_codes')
        .set({ superseded_at: now })
        .where('flow_id', 'in', this.db.selectFrom('flows').select('id').where(which))
        .where('used_at', 'is', null)
        .where('superseded_at', 'is', null),
    );
    await this.later(
      this.db
        .updateTable('flows')
        .set({ state: 'expired', version: sql<number>`version + 1` })
        .where(which)
        .where('state', 'not in', ['completed', 'unlocked', 'expired'])
        .$if(exceptFlowId !== null, (q) => q.where('id', '!=', exceptFlowId!)),
    );
  }

  async supersededCodes(flowId: string, channel: Gate): Promise<CodeRecord[]> {
    const rows = await this.db
      .selectFrom('flow_codes')
      .selectAll()
      .where('flow_id', '=', flowId)
      .where('channel', '=', channel)
      .where('used_at', 'is', null)
      .where('superseded_at', 'is not', null)
      .orderBy('sent_at', 'desc')
      .limit(20)
      .execute();
    return rows.map(toCode);
  }

  async endEarlierFlows(login: string, accountId: string, now: number): Promise<void> {
    // the flows of the account, and those started for the login before it had one (or without one)
    await this.endFlows(
      (eb) =>
        eb.or([eb('account_id', '=', accountId), eb.and([eb('account_id', 'is', null), eb('login', '=', login)])]),
      now,
    );
  }

  async countMessages(filter: {
    accountId?: string;
    tenantId?: string;
    channel: 'email' | 'sms';
    kind?: MessageKind;
    since: number;
  }): Promise<number> {
    let q = this.db
      .selectFrom('outbox')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('channel', '=', filter.channel)
      .where('created_at', '>=', filter.since);
    if (filter.accountId !== undefined) q = q.where('account_id', '=', filter.accountId);
    if (filter.tenantId !== undefined) q = q.where('tenant_id', '=', filter.tenantId);
    // core's messageKind: a code or link message has a lifetime, a notice has none
    if (filter.kind === 'code') q = q.where('expires_at', 'is not', null);
    if (filter.kind === 'notice') q = q.where('expires_at', 'is', null);
    const row = await q.executeTakeFirstOrThrow();
    return Number(row.n);
  }
}

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
