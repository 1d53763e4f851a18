import type { AuditEventType } from '../../core/audit-events.ts';
import type { Account, Method, Tenant } from '../../core/directory-model.ts';
import { domainOf } from '../../core/login.ts';
import { isFlowAlive, type ResetPolicy } from '../../core/reset-policy.ts';
import { transition, type FlowEvent } from '../../core/reset-flow.ts';
import { err, ok, type Result } from '../../core/result.ts';
import { isUsableForReset } from '../../core/security-info-policy.ts';
import type { Clock } from '../../ports/clock.ts';
import type { FlowPatch, FlowRecord } from '../../ports/flow-store.ts';
import type { Keyring } from '../../ports/keyring.ts';
import type { Metrics } from '../../ports/metrics.ts';
import type { Random } from '../../ports/random.ts';
import type { LoginGuard, Repos, Store } from '../../ports/store.ts';
import { appendSelfEvent } from '../audit-context.ts';
import type { AuditDetails, RequestContext } from '../request-context.ts';
import { NO_ACCOUNT, type AccessError, type Ctx, type FlowHandle, type StepError } from './types.ts';

const BINDING_GRACE_MS = 30_000;

export type FlowTx = Pick<Repos, 'flows'>;

/**
 * Finding a flow, its browser binding, and moving it. Every state change of a flow is a
 * `transition()` of core/reset-flow applied here (`advance`, `complete`, the deadline in `find`);
 * every lifetime check is the core policy's. Counters that move no state go through `countSend`.
 */
export class FlowAccess {
  constructor(
    private readonly d: {
      readonly store: Store;
      readonly keyring: Keyring;
      readonly random: Random;
      readonly clock: Clock;
      readonly policy: ResetPolicy;
      readonly metrics?: Metrics;
    },
  ) {}

  /**
   * The transaction of a step the person can simply repeat (ask for a code, type one, follow the
   * link): relaxed durability (see `Durability`). Setting the password is not one of them.
   */
  step<T>(fn: (tx: Repos) => Promise<T>): Promise<T> {
    return this.d.store.transaction(fn, { durability: 'relaxed' });
  }

  token(bytes: number): string {
    return Buffer.from(this.d.random.bytes(bytes)).toString('base64url');
  }

  bindingHash(flowId: string, secret: string): string {
    return this.d.keyring.hmac('flow-binding', `${flowId}.${secret}`);
  }

  /**
   * Which binding value `secret` is: the current one, the one the last step rotated away (within
   * its grace), or neither. Both are compared in constant time, always.
   */
  bindingOf(flow: FlowRecord, secret: string, now: number): 'current' | 'previous' | null {
    const presented = `${flow.id}.${secret}`;
    const current = this.d.keyring.matches('flow-binding', presented, flow.bindingHash);
    const previous =
      flow.prevBindingHash !== null &&
      flow.prevBindingUntil !== null &&
      now < flow.prevBindingUntil &&
      this.d.keyring.matches('flow-binding', presented, flow.prevBindingHash);
    return current ? 'current' : previous ? 'previous' : null;
  }

  /** Loads the flow of a handle, checks the browser binding (current or previous value) and the 60-minute deadline. */
  async find(
    tx: FlowTx,
    handle: FlowHandle,
  ): Promise<Result<{ flow: FlowRecord; binding: 'current' | 'previous' }, AccessError>> {
    if (!/^[A-Za-z0-9_-]{10,64}$/.test(handle.flowId)) return err('flow_not_found');
    const flow = await tx.flows.get(handle.flowId);
    const now = this.d.clock.now();
    const binding = flow ? this.bindingOf(flow, handle.secret, now) : null;
    if (!flow || binding === null) return err('flow_not_found');
    if (flow.state === 'completed' || flow.state === 'unlocked') return err('flow_completed');
    if (flow.state === 'expired') return err('flow_expired');
    if (!isFlowAlive(this.d.policy, flow.createdAt, flow.firstSentAt, now)) {
      const next = transition(positionOf(flow), 'deadline_passed');
      if (next.ok) await tx.flows.update(flow.id, flow.version, { state: next.value.state });
      this.d.metrics?.flowFailed('flow_expired');
      return err('flow_expired');
    }
    return ok({ flow, binding });
  }

  /**
   * The flow of a handle, for a step that may move it: only the CURRENT binding value. The value a
   * step rotated away answers `wrong_step` (its browser is shown the current page by `view`): it
   * never submits a code, passes a link, sends a message or sets the password.
   */
  async access(tx: FlowTx, handle: FlowHandle): Promise<Result<FlowRecord, AccessError | 'wrong_step'>> {
    const found = await this.find(tx, handle);
    if (!found.ok) return found;
    if (found.value.binding !== 'current') return err('wrong_step');
    return ok(found.value.flow);
  }

  /** Applies a transition with a fresh binding secret; the old one stays valid for a short grace. */
  async advance(
    tx: FlowTx,
    flow: FlowRecord,
    event: FlowEvent,
    now: number,
    sent: SendCount = {},
  ): Promise<Result<{ flow: FlowRecord; secret: string }, StepError>> {
    const next = transition(positionOf(flow), event);
    if (!next.ok) return err('wrong_step');
    const secret = this.token(32);
    const updated = await tx.flows.update(flow.id, flow.version, {
      ...sent,
      state: next.value.state,
      passed: next.value.passed,
      bindingHash: this.bindingHash(flow.id, secret),
      prevBindingHash: flow.bindingHash,
      prevBindingUntil: now + BINDING_GRACE_MS,
    });
    if (!updated) return err('flow_not_found');
    return ok({ flow: updated, secret });
  }

  /**
   * The new password is set: the flow completes (`password_set`), and the rotated-away binding
   * value stops showing it. Null when the flow is not waiting for a password or another request won.
   */
  async complete(
    tx: FlowTx,
    flow: FlowRecord,
    now: number,
    event: 'password_set' | 'account_unlocked' = 'password_set',
  ): Promise<FlowRecord | null> {
    const next = transition(positionOf(flow), event);
    if (!next.ok) return null;
    return tx.flows.update(flow.id, flow.version, {
      state: next.value.state,
      completedAt: now,
      prevBindingHash: null,
      prevBindingUntil: null,
    });
  }

  /** A code was sent (or counted as sent) without moving the flow: a resend. */
  countSend(tx: FlowTx, flow: FlowRecord, now: number): Promise<FlowRecord | null> {
    return tx.flows.update(flow.id, flow.version, { codesSent: flow.codesSent + 1, lastSentAt: now });
  }

  /**
   * The tenant a login's domain belonged to when this instance last looked (undefined: never
   * looked), for a start's guess of its guard (`loadByLogin`). Domains come from what people type:
   * bounded.
   */
  private readonly tenantOfDomain = new Map<string, string | null>();

  /** The tenant the login's domain most likely belongs to (what the last lookup found; null when none did). */
  tenantGuess(login: string): string | null {
    return this.tenantOfDomain.get(domainOf(login)) ?? null;
  }

  /**
   * The tenant comes from the login's domain, so an unknown login of a known tenant gets the
   * tenant's pages too. `guard`: the start's guess of its attempt guard (DirectoryRepo `findLoginContext`); `guarded`
   * is the subject whose guard the lookup took (null: none, the caller takes it).
   */
  async loadByLogin(
    tx: Pick<Repos, 'directory'>,
    login: string,
    guard?: LoginGuard,
  ): Promise<Ctx & { readonly guarded: string | null }> {
    // the account, the tenant of the login's domain and the account's methods, for every login (the
    // same statements whether or not the account exists: one without an account reads the methods
    // of NO_ACCOUNT, none); one round trip on PostgreSQL. An account whose tenant is not its login
    // domain's reads its own too
    const domain = domainOf(login);
    const found = await tx.directory.findLoginContext(login, domain, NO_ACCOUNT, guard);
    const { account, tenantOfDomain: byDomain, methods: allMethods, guarded } = found;
    if (this.tenantOfDomain.size >= 10_000) this.tenantOfDomain.clear();
    this.tenantOfDomain.set(domain, byDomain?.id ?? null);
    const tenant =
      !account || byDomain?.id === account.tenantId ? byDomain : await tx.directory.getTenant(account.tenantId);
    if (!account) return { tenant, account, email: null, phone: null, allMethods: [], guarded };
    return { ...this.ctxOf(tenant, account, allMethods), guarded };
  }

  async loadFlowContext(tx: Pick<Repos, 'directory'>, flow: FlowRecord): Promise<Ctx> {
    const account = flow.accountId ? await tx.directory.getAccount(flow.accountId) : null;
    const tenant = flow.tenantId ? await tx.directory.getTenant(flow.tenantId) : null;
    if (!account) return { tenant, account, email: null, phone: null, allMethods: [] };
    return this.ctxOf(tenant, account, await tx.directory.listMethods(account.id));
  }

  /** Verified methods, less any still in cooling-off after a change: those count as not registered. */
  async usableMethods(tx: Pick<Repos, 'directory'>, accountId: string): Promise<Method[]> {
    return this.usable(await tx.directory.listMethods(accountId));
  }

  private ctxOf(tenant: Tenant | null, account: Account, allMethods: readonly Method[]): Ctx {
    const methods = this.usable(allMethods);
    return {
      tenant,
      account,
      email: methods.find((m) => m.kind === 'email')?.value ?? null,
      phone: methods.find((m) => m.kind === 'phone')?.value ?? null,
      allMethods,
    };
  }

  private usable(methods: readonly Method[]): Method[] {
    const now = this.d.clock.now();
    return methods.filter((m) => m.verifiedAt !== null && isUsableForReset(m.usableFrom, now));
  }
}

/** What a step that sends a code records on the flow while it moves it. */
export type SendCount = Pick<FlowPatch, 'codesSent' | 'lastSentAt'>;

export function positionOf(flow: Pick<FlowRecord, 'state' | 'gates' | 'passed' | 'accepts'>) {
  return { state: flow.state, gates: flow.gates, passed: flow.passed, accepts: flow.accepts ?? null };
}

/** One audit event of a reset flow (actor `self`; the flow's first 8 characters as a detail). */
export function auditFlow(
  tx: Pick<Repos, 'audit'>,
  flow: Pick<FlowRecord, 'id' | 'tenantId' | 'accountId'>,
  rc: RequestContext | null,
  at: number,
  type: AuditEventType,
  outcome: string,
  details: AuditDetails,
): Promise<void> {
  return appendSelfEvent(tx, flow, rc, at, type, outcome, { flow: flow.id.slice(0, 8), ...details });
}
