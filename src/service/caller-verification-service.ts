import { actorName, canView, type Actor, type Denial } from '../core/admin-rules.ts';
import {
  APPROVAL_VALID_MS,
  CALLER_CODE_MAX_ATTEMPTS,
  CALLER_CODE_TTL_MS,
  callerRefusal,
  needsSecondOperator,
  verificationState,
  type CallerRefusal,
  type CallerWay,
  type SensitiveAction,
  type VerificationState,
} from '../core/caller-verification.ts';
import type { Account } from '../core/directory-model.ts';
import { renderEmail, renderSms } from '../core/message-templates.ts';
import { formatCode, type ResetPolicy } from '../core/reset-policy.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { ApprovalRecord } from '../ports/caller-check-store.ts';
import type { Clock } from '../ports/clock.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { Limiter } from '../ports/limiter.ts';
import type { Random } from '../ports/random.ts';
import type { Store } from '../ports/store.ts';
import { auditCaller, deny } from './admin-common.ts';
import { CallerApprovals } from './caller-approvals.ts';
import { confirmCallerCode } from './caller-code-check.ts';
import { notifyCallerOwner } from './caller-owner-notice.ts';
import { CallCheck, type CallCheckStarted } from './call-check.ts';
import {
  CALLER_PASSKEY_PATH,
  CallerPasskey,
  type CallerPasskeyAsk,
  type CallerPasskeyError,
} from './caller-passkey.ts';

export { VERIFY_CALL_LIMIT, type CallCheckStarted } from './call-check.ts';
export {
  CALLER_PASSKEY_LIMIT,
  CALLER_PASSKEY_PATH,
  type CallerPasskeyAsk,
  type CallerPasskeyError,
} from './caller-passkey.ts';
export type { CallerWay } from '../core/caller-verification.ts';
import { enqueueEmail, enqueueSms } from './message-queue.ts';
import { messageLanguage } from './message-language.ts';
import type { RequestContext } from './request-context.ts';
import { sendingLimitRefusal } from './sending-limits.ts';

/**
 * The help desk's caller verification, second-operator approvals and the reverse check (issue 13
 * items 5 and 6; the rules are core/caller-verification.ts).
 *
 * - `start` sends a one-time code (6 digits, 10 minutes, HMAC'd) to the account's verified email
 *   and mobile phone, within the sending limits; `confirm` checks what the caller read back with
 *   the one code check (counted first, constant time, once), or the account's authenticator code.
 *   `startByWay` sends nothing: only the app's code passes (`authenticator`), or (`passkey`) it gives
 *   the agent a ticket the caller types on the public page /caller-passkey to sign with their passkey
 *   there (`passkeyOptions`, `passkeyAnswer`; caller-passkey.ts).
 * - `requireVerified` is the gate the sensitive use cases (assisted reset link, temporary password,
 *   unblock, unlock) ask first, whoever calls them: console, support console or admin API.
 * - `startCallCheck` gives the agent a phrase; `confirmCall` is the public /verify-call page;
 *   `flagUnconfirmed` audits the phrases nobody confirmed in time (`caller.call_unconfirmed`).
 * Every attempt is audited in the account's tenant.
 */
export interface CallerVerificationDeps {
  readonly store: Store;
  readonly keyring: Keyring;
  readonly random: Random;
  readonly clock: Clock;
  readonly outbox: { wake(): void };
  /** The sending limits of codes (the reset's: per account emails and SMS, the tenant's SMS budget). */
  readonly sendingPolicy: ResetPolicy;
  /** The public URL: the relying party of the passkey way (core/passkey `relyingParty`). */
  readonly publicUrl: string;
  /** Limits the public /verify-call and /caller-passkey pages' tries per client address. */
  readonly limiter?: Limiter;
  /**
   * Whether the services enforce the gate (default true). Off only in tests written before the
   * gate (`createApp`'s test-only `callerVerification: false`): the consoles then show the actions
   * open, as the services let them through.
   */
  readonly enforced?: boolean;
}

export type CallerError = Denial | 'account_not_found' | 'no_methods' | 'sending_limited';

export type ConfirmError = Denial | 'account_not_found' | 'nothing_pending' | 'code_malformed' | 'invalid_code';

export interface VerificationStarted {
  readonly expiresAt: number;
  /** Where the code went. */
  readonly channels: readonly ('email' | 'sms')[];
  /** Whether the caller may read a code from their authenticator app instead. */
  readonly authenticator: boolean;
  /** The passkey way: the ticket the agent reads to the caller (`4821 0937 1254`); else null. */
  readonly ticket: string | null;
}

export interface CallerStatus {
  readonly verification: VerificationState;
  /** Technical Support on an administrator: whether a second operator must approve, and whether one did. */
  readonly approval: 'not_needed' | 'needed' | 'requested' | 'approved';
  /** Whether the sensitive actions are open now. */
  readonly allowed: boolean;
  /**
   * The open passkey verification's ticket (`4821 0937 1254`) and the public page the caller types
   * it on, for the agent to read out (again); else null.
   */
  readonly ticket: { readonly code: string; readonly page: string } | null;
  /** The ways this account offers besides a sent code: an authenticator app, a passkey. */
  readonly ways: { readonly authenticator: boolean; readonly passkey: boolean };
}

export interface ApprovalView extends ApprovalRecord {
  readonly login: string;
  readonly displayName: string;
  /** The asking operator's login. */
  readonly requestedByName: string;
}

/** What the sensitive use cases ask before they act (`CallerVerificationService.requireVerified`). */
export interface CallerGate {
  requireVerified(
    actor: Actor,
    target: Account,
    action: SensitiveAction,
    rc: RequestContext,
  ): Promise<CallerRefusal | null>;
  /** After a help-desk action: a text message to the account's verified phone too (the email notices are the action's own). */
  notifyOwner(target: Account, what?: OwnerNotice): Promise<void>;
}

/** Which help-desk action the owner's text message names: a password or unlock (default), or their console second factor. */
export type OwnerNotice = 'reset' | 'second_factor_reset';

export class CallerVerificationService implements CallerGate {
  readonly #calls: CallCheck;
  readonly #approvals: CallerApprovals;
  readonly #passkey: CallerPasskey;

  constructor(private readonly d: CallerVerificationDeps) {
    this.#calls = new CallCheck(d);
    this.#approvals = new CallerApprovals(d);
    this.#passkey = new CallerPasskey(d);
  }

  /** Sends a code to the account's registered methods for the caller to read back. */
  start(actor: Actor, accountId: string, rc: RequestContext): Promise<Result<VerificationStarted, CallerError>> {
    return this.#begin(actor, accountId, rc, 'code') as Promise<Result<VerificationStarted, CallerError>>;
  }

  /**
   * The agent chose another way, and nothing is sent: `authenticator`, only the app's current code
   * verifies (`no_authenticator` without an app); `passkey`, the console shows a ticket the caller
   * types on the public page /caller-passkey, where only an assertion of one of the account's
   * passkeys verifies (10 minutes, 5 tries, once; `no_passkey` without one).
   */
  startByWay(
    actor: Actor,
    accountId: string,
    way: Exclude<CallerWay, 'code'>,
    rc: RequestContext,
  ): Promise<Result<VerificationStarted, CallerError | 'no_authenticator' | 'no_passkey'>> {
    return this.#begin(actor, accountId, rc, way);
  }

  async #begin(
    actor: Actor,
    accountId: string,
    rc: RequestContext,
    way: CallerWay,
  ): Promise<Result<VerificationStarted, CallerError | 'no_authenticator' | 'no_passkey'>> {
    const target = await this.d.store.directory.getAccount(accountId);
    if (!target) return err('account_not_found');
    const denial = canView(actor, target, 'resets:write');
    if (denial) return deny(this.d, actor, target, 'verify_caller', denial, rc);
    const now = this.d.clock.now();
    const id = this.d.random.uuid();
    const code = formatCode(this.d.random.intBelow(1_000_000));
    const expiresAt = now + CALLER_CODE_TTL_MS;
    const ticket = way === 'passkey' ? await this.#passkey.newTicket() : null;
    const result = await this.d.store.transaction(
      async (tx): Promise<Result<VerificationStarted, CallerError | 'no_authenticator' | 'no_passkey'>> => {
        const methods = (await tx.directory.listMethods(target.id)).filter((m) => m.verifiedAt !== null);
        const app = await tx.authenticators.confirmed(target.id);
        const tenant = await tx.directory.getTenant(target.tenantId);
        const channels: ('email' | 'sms')[] = [];
        const { locale } = await messageLanguage(tx, target.tenantId, { saved: target.locale ?? null, page: null });
        const minutes = Math.round(CALLER_CODE_TTL_MS / 60_000);
        const base = { tenantId: target.tenantId, accountId: target.id, expiresAt, codeId: null, now };
        if (way === 'authenticator' && !app) {
          await auditCaller(tx, actor, target, rc, now, 'caller.verification_started', 'no_authenticator', { way });
          return err('no_authenticator');
        }
        if (way === 'passkey' && (await tx.passkeys.list(target.id)).length === 0) {
          await auditCaller(tx, actor, target, rc, now, 'caller.verification_started', 'no_passkey', { way });
          return err('no_passkey');
        }
        for (const m of way === 'code' ? methods : []) {
          if (m.kind === 'email') {
            const refusal = await sendingLimitRefusal(
              tx,
              this.d.sendingPolicy,
              { channel: 'email', accountId: target.id },
              now,
            );
            if (refusal) continue;
            const content = renderEmail('caller.code', { displayName: target.displayName, code, minutes }, locale);
            await enqueueEmail(tx, this.d, { ...base, template: 'caller.code', to: m.value, content });
            channels.push('email');
          } else if (m.kind === 'phone' && tenant) {
            const refusal = await sendingLimitRefusal(
              tx,
              this.d.sendingPolicy,
              { channel: 'sms', accountId: target.id, tenantId: target.tenantId, tenant: tenant.policy, to: m.value },
              now,
            );
            if (refusal) continue;
            const content = renderSms('caller.sms', { displayName: target.displayName, code, minutes }, locale);
            await enqueueSms(tx, this.d, { ...base, template: 'caller.sms', to: m.value, content });
            channels.push('sms');
          }
        }
        if (way === 'code' && channels.length === 0 && !app) {
          const reason = methods.length === 0 ? 'no_methods' : 'sending_limited';
          await auditCaller(tx, actor, target, rc, now, 'caller.verification_started', reason, {});
          return err(reason);
        }
        await tx.callerChecks.createVerification({
          id,
          tenantId: target.tenantId,
          accountId: target.id,
          actor: actorName(actor),
          codeHash: channels.length > 0 ? this.d.keyring.hmac('caller-code', `${id}:${code}`) : null,
          way,
          ticketHash: ticket?.hash ?? null,
          ticketSealed: ticket?.sealed ?? null,
          createdAt: now,
          expiresAt,
        });
        await auditCaller(tx, actor, target, rc, now, 'caller.verification_started', 'ok', {
          channels: channels.join(',') || 'none',
          authenticator: app !== null,
          way,
        });
        return ok({ expiresAt, channels, authenticator: app !== null, ticket: ticket?.ticket ?? null });
      },
    );
    if (result.ok && result.value.channels.length > 0) this.d.outbox.wake();
    return result;
  }

  /** Checks the code the caller read back (the sent code, or their authenticator app's): caller-code-check.ts. */
  confirm(
    actor: Actor,
    accountId: string,
    input: string,
    rc: RequestContext,
  ): Promise<Result<{ until: number }, ConfirmError>> {
    return confirmCallerCode(this.d, actor, accountId, input, rc);
  }

  /** What the console shows: verified or not, until when; the approval a Technical Support action needs. */
  async status(actor: Actor, target: Pick<Account, 'id' | 'role'>): Promise<CallerStatus> {
    const now = this.d.clock.now();
    const name = actorName(actor);
    const v = await this.d.store.callerChecks.latestVerification(name, target.id);
    const verification = verificationState(
      v && {
        expiresAt: v.expiresAt,
        verifiedAt: v.verifiedAt,
        failed: v.attempts >= CALLER_CODE_MAX_ATTEMPTS,
        way: v.way,
      },
      now,
    );
    const code = verification.state === 'pending' && v ? this.#passkey.shown(v) : null;
    const ticket = code === null ? null : { code, page: `${this.d.publicUrl}${CALLER_PASSKEY_PATH}` };
    const ways = {
      authenticator: (await this.d.store.authenticators.confirmed(target.id)) !== null,
      passkey: (await this.d.store.passkeys.list(target.id)).length > 0,
    };
    const facts = await this.facts(actor, target, now);
    let approval: CallerStatus['approval'] = 'not_needed';
    if (needsSecondOperator(actor, target)) {
      const open = await this.d.store.callerChecks.openApprovals(now - APPROVAL_VALID_MS, 200);
      approval =
        facts.approvedAt !== null && now < facts.approvedAt + APPROVAL_VALID_MS
          ? 'approved'
          : open.some((a) => a.requestedBy === name && a.accountId === target.id)
            ? 'requested'
            : 'needed';
    }
    const allowed = this.d.enforced === false || callerRefusal(actor, target, facts) === null;
    return { verification, approval, allowed, ticket, ways };
  }

  /**
   * The gate of every sensitive action: null when `actor` verified the caller of `target` within
   * the last 10 minutes (and, for Technical Support on an administrator, a second operator
   * approved); otherwise the refusal, audited as `admin.denied` of `action`.
   */
  async requireVerified(
    actor: Actor,
    target: Account,
    action: SensitiveAction,
    rc: RequestContext,
  ): Promise<CallerRefusal | null> {
    const now = this.d.clock.now();
    const refusal = callerRefusal(actor, target, await this.facts(actor, target, now));
    if (refusal) await deny(this.d, actor, target, action, refusal, rc);
    return refusal;
  }

  /** After a help-desk action, a text message to the owner's verified phone too: caller-owner-notice.ts. */
  notifyOwner(target: Account, what: OwnerNotice = 'reset'): Promise<void> {
    return notifyCallerOwner(this.d, target, what);
  }

  private async facts(actor: Actor, target: Pick<Account, 'id' | 'role'>, now: number) {
    const name = actorName(actor);
    return {
      verifiedAt: await this.d.store.callerChecks.lastVerifiedAt(name, target.id),
      approvedAt: needsSecondOperator(actor, target)
        ? await this.d.store.callerChecks.lastApprovedAt(name, target.id)
        : null,
      now,
    };
  }

  // ---- second operator (caller-approvals.ts) ------------------------------------------------

  /** Technical Support: operator A asks a second operator to approve acting on an administrator. */
  requestApproval(actor: Actor, accountId: string, rc: RequestContext) {
    return this.#approvals.requestApproval(actor, accountId, rc);
  }

  /** Requests waiting for a second operator (the last `APPROVAL_VALID_MS`), with whom they concern. */
  openApprovals(): Promise<ApprovalView[]> {
    return this.#approvals.openApprovals();
  }

  /** Operator B approves operator A's request; never one's own. Audited either way. */
  approve(actor: Actor, approvalId: string, rc: RequestContext) {
    return this.#approvals.approve(actor, approvalId, rc);
  }

  // ---- the passkey way's public page (caller-passkey.ts) -----------------------------------

  /** /caller-passkey: the ticket the caller typed; open, a challenge for their passkey; else `not_found`. */
  passkeyOptions(input: string, rc: RequestContext) {
    return this.#passkey.options(input, rc);
  }

  /** /caller-passkey: the caller's passkey assertion for the ticket; verified once for the agent who asked. */
  passkeyAnswer(
    input: string,
    credentialJson: string,
    rc: RequestContext,
  ): Promise<Result<CallerPasskeyAsk, CallerPasskeyError>> {
    return this.#passkey.answer(input, credentialJson, rc);
  }

  // ---- the reverse check (call-check.ts) ---------------------------------------------------

  /** A phrase the person called types on /verify-call to see that this call comes from their help desk. */
  startCallCheck(
    actor: Actor,
    accountId: string,
    agentName: string,
    rc: RequestContext,
  ): Promise<Result<CallCheckStarted, Denial | 'account_not_found'>> {
    return this.#calls.start(actor, accountId, agentName, rc);
  }

  /** The public /verify-call page: the agent and organisation of an open phrase, else `not_found`. */
  confirmCall(
    input: string,
    rc: RequestContext,
  ): Promise<Result<{ agentName: string; organisation: string }, 'not_found' | 'rate_limited'>> {
    return this.#calls.confirm(input, rc);
  }

  /** Audits, once each, the reverse checks whose lifetime ended unconfirmed. */
  flagUnconfirmed(limit = 200): Promise<number> {
    return this.#calls.flagUnconfirmed(limit);
  }
}
