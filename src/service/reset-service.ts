import { effectiveMinLength, isDirectoryWriteError } from '../core/directory-refusals.ts';
import { normalizePassword } from '../core/password-policy.ts';
import { flowDeadline } from '../core/reset-policy.ts';
import type { FlowEvent, FlowState } from '../core/reset-flow.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { CaptchaSolution } from '../ports/captcha.ts';
import type { FlowRecord } from '../ports/flow-store.ts';
import type { Repos } from '../ports/store.ts';
import type { RequestContext } from './request-context.ts';
import { CredentialChange } from './credential-change.ts';
import { DirectoryPasswords } from './directory-passwords.ts';
import { CodeCheck } from './reset/code-check.ts';
import { CodeSender } from './reset/code-sender.ts';
import { auditFlow, FlowAccess } from './reset/flow-access.ts';
import { Lockout } from './reset/lockout.ts';
import { SendSteps } from './reset/send-steps.ts';
import { StartReset, type StartResult } from './reset/start.ts';
import type { AccessError, Ctx, FlowHandle, FlowView, ResetDeps, StepError, StepOk } from './reset/types.ts';
import { SelfUnlock } from './reset/unlock.ts';
import { PasskeyCheck } from './reset/passkey-check.ts';
import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { FlowViews } from './reset/view.ts';

export type { AccessError, FlowHandle, FlowView, ResetDeps, StartedFlow, StepError, StepOk } from './reset/types.ts';

/**
 * The self-service reset use cases, shared by the pages and the JSON API: a small façade over
 * src/service/reset/ — flow access and browser binding (flow-access), the start (start), code
 * sending (code-sender, send-steps), code checking (code-check, with the shared one-time-code
 * check), the attempt guard (lockout) and what is shown (view, with the decoy masks). Every
 * start creates a flow, whether or not the account exists; only a real, enabled account with an
 * alternate email is ever sent anything, and every other path does the same work and returns the
 * same thing. Each step's changes (flow, code, outbox message, audit event) commit in one
 * transaction, and every state change of a flow is a `transition()` of core/reset-flow.
 */
export class ResetService {
  private readonly flows: FlowAccess;
  private readonly views: FlowViews;
  private readonly starter: StartReset;
  private readonly sending: SendSteps;
  private readonly checking: CodeCheck;
  private readonly unlocking: SelfUnlock;
  private readonly passkeys: PasskeyCheck;

  constructor(private readonly d: ResetDeps) {
    this.flows = new FlowAccess(d);
    const lockout = new Lockout(d, this.flows);
    const sender = new CodeSender(d);
    this.views = new FlowViews(d, this.flows);
    const parts = { flows: this.flows, lockout, sender, views: this.views };
    this.starter = new StartReset(d, parts);
    this.sending = new SendSteps(d, parts);
    this.checking = new CodeCheck(d, parts);
    this.unlocking = new SelfUnlock(d, parts);
    this.passkeys = new PasskeyCheck(d, parts);
  }

  /**
   * Starts a reset for whatever was typed. The answer (page and API) and the work behind it are the
   * same for every state of the login — an existing account, an unknown login, a disabled or
   * blocked account, one without an alternate email, one over its sending limit: the same
   * statements run in the same order (issue 9, items 5 and 6), and the audit log alone records
   * which it was. A start ends every earlier flow of the login: their codes, links and flow
   * cookies authorise nothing afterwards (item 3).
   */
  start(loginInput: string, rc: RequestContext, captcha?: CaptchaSolution): Promise<StartResult> {
    return this.starter.start(loginInput, rc, captcha);
  }

  /** Shows the flow. The binding value a step just rotated away still shows it (for a short grace), but moves nothing. */
  async view(handle: FlowHandle): Promise<Result<FlowView, AccessError>> {
    const found = await this.flows.find(this.d.store, handle);
    if (!found.ok) return found;
    const view = await this.viewOf(this.d.store, found.value.flow);
    return ok(await this.withDirectoryRules(view, found.value.flow));
  }

  /**
   * On the new-password step of a directory account: the directory's rules (cached per tenant),
   * and sspr's minimum length raised to the directory's when that is longer.
   */
  private async withDirectoryRules(view: FlowView, flow: FlowRecord): Promise<FlowView> {
    if (view.state !== 'new_password' || !flow.accountId || !this.d.directories) return view;
    const account = await this.d.store.directory.getAccount(flow.accountId);
    if (!account || account.externalId === null) return view;
    const rules = await new DirectoryPasswords(this.d).rulesOf(account);
    return {
      ...view,
      passwordMinLength: effectiveMinLength(view.passwordMinLength, rules?.minLength ?? null),
      directoryRules: rules,
    };
  }

  /** Where the flow of this handle is, for error pages that want to know (no binding check). */
  async peekState(flowId: string): Promise<FlowState | null> {
    return (await this.d.store.flows.get(flowId))?.state ?? null;
  }

  /** Checks a typed code. Mismatch, expiry, a killed code and "no code was ever sent" all answer `invalid_code`. */
  submitCode(handle: FlowHandle, input: string, rc: RequestContext): Promise<Result<StepOk, StepError>> {
    return this.checking.submitCode(handle, input, rc);
  }

  /** Sends a new code on the current channel (the previous one stops working). */
  resend(handle: FlowHandle, rc: RequestContext): Promise<Result<FlowView, StepError> & { waitMs?: number }> {
    return this.sending.resend(handle, rc);
  }

  /** One-gate flows may use the phone instead of email; two-gate flows reach the same page (see core/reset-flow). */
  async usePhone(handle: FlowHandle, rc: RequestContext): Promise<Result<StepOk, StepError>> {
    return this.simpleStep(handle, rc, 'use_phone');
  }

  /**
   * A code from the authenticator app instead: offered on the first page of every flow, and at the
   * second gate of an account that registered one (see core/reset-flow `proofsAccepted`).
   */
  async useAuthenticator(handle: FlowHandle, rc: RequestContext): Promise<Result<StepOk, StepError>> {
    return this.simpleStep(handle, rc, 'use_authenticator');
  }

  /**
   * A passkey instead: offered on the first page of every flow, and at the second gate of an
   * account that registered one; a tenant that requires passkeys of its admins leads there itself.
   */
  async usePasskey(handle: FlowHandle, rc: RequestContext): Promise<Result<StepOk, StepError>> {
    return this.simpleStep(handle, rc, 'use_passkey');
  }

  /** The options (with a new challenge bound to the flow) for the passkey page's `navigator.credentials.get`. */
  passkeyOptions(handle: FlowHandle): Promise<Result<PublicKeyCredentialRequestOptionsJSON, StepError>> {
    return this.passkeys.options(handle);
  }

  /** The browser's assertion for the flow's passkey gate. */
  submitPasskey(handle: FlowHandle, credentialJson: string, rc: RequestContext): Promise<Result<StepOk, StepError>> {
    return this.passkeys.submit(handle, credentialJson, rc);
  }

  async backToEmail(handle: FlowHandle, rc: RequestContext): Promise<Result<StepOk, StepError>> {
    return this.simpleStep(handle, rc, 'back_to_email');
  }

  /** From the SMS code page back to typing the number (a typo, or a new phone). */
  async retypePhone(handle: FlowHandle, rc: RequestContext): Promise<Result<StepOk, StepError>> {
    return this.simpleStep(handle, rc, 'retype_phone');
  }

  /**
   * The person types the full mobile number on file. The SMS goes out only if it matches, the
   * SMS gate is open (email gate passed, or SMS is the flow's only gate) and the limits allow;
   * the answer is the same either way.
   */
  submitPhone(handle: FlowHandle, input: string, rc: RequestContext): Promise<Result<StepOk, StepError>> {
    return this.sending.submitPhone(handle, input, rc);
  }

  /**
   * Consumes the email link's token — only from the browser that started the flow. From another
   * browser (or none) it answers `wrong_browser` and the token stays valid, so the person can go
   * back to the first browser, or type the code there.
   */
  consumeLink(token: string, handle: FlowHandle | null, rc: RequestContext): Promise<Result<StepOk, StepError>> {
    return this.checking.consumeLink(token, handle, rc);
  }

  // ---- new password --------------------------------------------------------------------

  /**
   * Sets the new password. In one transaction: hash stored, must-change cleared, sessions and
   * every outstanding code and link of the account revoked, the self-service block cleared,
   * audit events, and notices queued (to the login and the alternate email; to every other
   * admin when an admin reset). No automatic sign-in.
   */
  async setPassword(
    handle: FlowHandle,
    password: string,
    confirm: string,
    rc: RequestContext,
  ): Promise<Result<FlowView, StepError>> {
    const first = await this.access(this.d.store, handle);
    if (!first.ok) return first;
    if (first.value.state !== 'new_password' || !first.value.accountId) return err('wrong_step');
    if (normalizePassword(password) !== normalizePassword(confirm)) return err('password_mismatch');
    const ctx = await this.loadFlowContext(this.d.store, first.value);
    if (!ctx.account || !ctx.tenant) return err('wrong_step');
    const account = ctx.account;
    // the one credential change: vet, hash, and in one transaction this flow completed, the
    // password written, every other flow/code/link and session ended, blocks cleared, audited,
    // notices queued (every other admin told when an admin reset)
    const result = await new CredentialChange(this.d).change(
      {
        path: 'self-service',
        account,
        tenant: ctx.tenant,
        password,
        actor: 'self',
        rc,
        auditDetails: { flow: first.value.id.slice(0, 8), by: 'self-service' },
        exceptFlowId: first.value.id,
      },
      {
        // a directory account: the flow must still wait for this password before the directory gets it
        precheck: async (repos): Promise<Result<FlowRecord, StepError>> => {
          const access = await this.access(repos, handle);
          if (!access.ok) return access;
          return access.value.state === 'new_password' ? access : err('wrong_step');
        },
        before: async (tx, now): Promise<Result<FlowRecord, StepError>> => {
          // the account's guard first, as a code check takes it (a block starting meanwhile ends this flow)
          await tx.lockouts.lockGuard(account.id);
          const access = await this.access(tx, handle);
          if (!access.ok) return access;
          const flow = access.value;
          if (flow.state !== 'new_password') return err('wrong_step');
          const done = await this.flows.complete(tx, flow, now);
          return done ? ok(done) : err('flow_not_found');
        },
        after: async (tx, done, effects) => {
          await this.audit(tx, done, rc, effects.now, 'message.queued', 'ok', {
            template: 'reset.completed',
            recipients: effects.recipients,
          });
          return this.viewOf(tx, done);
        },
      },
    );
    if (!result.ok) {
      if (result.error === 'account_not_found') return err('wrong_step');
      // the directory refused: the flow still waits on this step (nothing moved), so another try works
      if (isDirectoryWriteError(result.error)) {
        this.d.metrics?.flowFailed(result.error);
        // unreachable: until when the reset stays open, for the page to say
        return result.error === 'directory_unreachable'
          ? err(result.error, String(flowDeadline(this.d.policy, first.value.createdAt, first.value.firstSentAt)))
          : err(result.error);
      }
      return err(result.error);
    }
    this.d.metrics?.flowCompleted();
    return ok(result.value.after);
  }

  /**
   * Instead of a new password: unlocks the directory account and keeps its password (reset/unlock.ts).
   * Only on the new-password step of a directory account (`view.canUnlock`); ends the flow (`unlocked`).
   */
  unlockAccount(handle: FlowHandle, rc: RequestContext): Promise<Result<FlowView, StepError>> {
    return this.unlocking.unlock(handle, rc);
  }

  // ---- internals -----------------------------------------------------------------------

  private async simpleStep(
    handle: FlowHandle,
    rc: RequestContext,
    event: Extract<FlowEvent, 'use_phone' | 'back_to_email' | 'retype_phone' | 'use_authenticator' | 'use_passkey'>,
  ): Promise<Result<StepOk, StepError>> {
    const now = this.d.clock.now();
    return this.flows.step(async (tx): Promise<Result<StepOk, StepError>> => {
      const access = await this.flows.access(tx, handle);
      if (!access.ok) return access;
      const next = await this.flows.advance(tx, access.value, event, now);
      if (!next.ok) return next;
      if (event === 'use_authenticator' && !(await tx.flows.liveCode(next.value.flow.id, 'totp'))) {
        // the app's gate counts its attempts like a sent code (5, then no more for this flow); it
        // carries no code of its own, and switching back and forth keeps the count
        await tx.flows.issueCode(
          {
            id: this.d.random.uuid(),
            flowId: next.value.flow.id,
            channel: 'totp',
            codeHash: this.d.keyring.hmac('code', `${next.value.flow.id}:totp-gate`),
            linkHash: null,
            sentAt: now,
            expiresAt: flowDeadline(this.d.policy, next.value.flow.createdAt, next.value.flow.firstSentAt),
          },
          { supersede: false },
        );
      }
      await this.audit(tx, next.value.flow, rc, now, `flow.${event}`, 'ok', {});
      return ok({ secret: next.value.secret, view: await this.viewOf(tx, next.value.flow) });
    });
  }

  private access(tx: Repos, handle: FlowHandle): Promise<Result<FlowRecord, AccessError | 'wrong_step'>> {
    return this.flows.access(tx, handle);
  }

  private loadFlowContext(tx: Repos, flow: FlowRecord): Promise<Ctx> {
    return this.flows.loadFlowContext(tx, flow);
  }

  private viewOf(tx: Repos, flow: FlowRecord): Promise<FlowView> {
    return this.views.viewOf(tx, flow);
  }

  private readonly audit = auditFlow;
}
