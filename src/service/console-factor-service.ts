import type { PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import type { AuditEventType } from '../core/audit-events.ts';
import { judgeTotp } from '../core/authenticator.ts';
import {
  CONSOLE_FACTOR_MAX_ATTEMPTS,
  CONSOLE_PENDING_MS,
  isPendingLive,
  normalizeRecoveryCode,
  type SecondStepKind,
} from '../core/console-factor.ts';
import type { Account, Tenant } from '../core/directory-model.ts';
import { judgeCode } from '../core/one-time-code.ts';
import { PASSKEY_CHALLENGE_MS } from '../core/passkey.ts';
import { normalizeCodeInput } from '../core/reset-policy.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { SigninPolicy } from '../core/signin-policy.ts';
import type { AuthenticatorRepo } from '../ports/authenticator-store.ts';
import type { Clock } from '../ports/clock.ts';
import type { ConsoleOwner, PendingConsoleSignin } from '../ports/console-factor-store.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { Operator } from '../ports/operator-store.ts';
import type { PasskeyRepo } from '../ports/passkey-store.ts';
import type { Random } from '../ports/random.ts';
import type { Repos, Store } from '../ports/store.ts';
import { appendSelfEvent } from './audit-context.ts';
import { OperatorPasskeys } from './console-factor/operator-passkeys.ts';
import { ConsoleFactorSetup, queueRecoveryNotice } from './console-factor/setup.ts';
import { checkOneTimeCode } from './one-time-code.ts';
import { PasskeyCeremony } from './passkey-ceremony.ts';
import { newSessionToken } from './password-signin.ts';
import { appendAudit, type AuditDetails, type RequestContext } from './request-context.ts';

/**
 * The consoles' second factor (core/console-factor.ts). The password sign-in of an administrator
 * or an operator opens a *pending console sign-in* instead of a session (`openPending`, in the
 * password's transaction): its secret goes to its own cookie and only its HMAC is stored. No
 * session exists until the second step passes, so no console page or API accepts the pending one.
 * The second step is the owner's authenticator app (the shared one-time-code check, each time step
 * once), a passkey (a challenge bound to the pending sign-in, taken once; the owner's credential
 * among its kind's passkeys; the counter compare-and-set) or a recovery code (its HMAC used once). Every attempt is counted first on the
 * pending sign-in (5, then the password again) and each wrong one is a sign-in failure of the
 * owner (the password's growing delays). Passing ends the pending sign-in once and opens a fresh
 * session. Audited as `console.*`; a used recovery code notifies the owner.
 */
export interface ConsoleFactorDeps {
  readonly store: Store;
  readonly keyring: Keyring;
  readonly random: Random;
  readonly clock: Clock;
  readonly policy: SigninPolicy;
  readonly publicUrl: string;
  readonly outbox: { wake(): void };
}

/** A live pending console sign-in with its owner and what the owner has registered. */
export interface PendingConsole {
  readonly pending: PendingConsoleSignin;
  readonly account: Account | null;
  readonly tenant: Tenant | null;
  readonly operator: Operator | null;
  /** The login the page names. */
  readonly login: string;
  readonly has: { readonly authenticator: boolean; readonly passkey: boolean; readonly recoveryCodes: number };
}

export type SecondStepError =
  /** No live pending sign-in behind the cookie (none, ended, expired, or the other console's). */
  | 'pending_unknown'
  | 'code_malformed'
  | 'invalid_code'
  /** Five wrong entries: sign in with the password again. */
  | 'attempts_exhausted'
  | 'passkey_refused'
  /** A second factor is registered already (the first-sign-in registration is not for them). */
  | 'factor_exists'
  | 'nothing_pending';

/** The second step passed: the new session's token (the account's or the operator's cookie). */
export interface ConsoleSignedIn {
  readonly token: string;
  readonly mustChangePassword: boolean;
  /** Recovery codes left after this sign-in (a warning when few are). */
  readonly recoveryCodesLeft: number;
}

/**
 * The password passed: a pending console sign-in behind `token` instead of a session (called by
 * the password sign-in of accounts and operators, in its transaction).
 */
export async function openPendingConsole(
  tx: Repos,
  keyring: Keyring,
  owner: ConsoleOwner,
  token: string,
  now: number,
): Promise<void> {
  await tx.consoleFactors.createPending({
    idHash: keyring.hmac('console-signin', token),
    owner,
    createdAt: now,
    expiresAt: now + CONSOLE_PENDING_MS,
  });
}

export class ConsoleFactorService {
  readonly setup: ConsoleFactorSetup;
  readonly operatorPasskeys: OperatorPasskeys;
  readonly ceremony: PasskeyCeremony;

  constructor(private readonly d: ConsoleFactorDeps) {
    this.ceremony = new PasskeyCeremony(d, d.publicUrl);
    this.setup = new ConsoleFactorSetup(d, this);
    this.operatorPasskeys = new OperatorPasskeys(d, this);
  }

  /** The live pending sign-in behind a cookie's token, of the given kind of owner; null otherwise. */
  async pending(token: string | null | undefined, kind: ConsoleOwner['kind']): Promise<PendingConsole | null> {
    return this.pendingIn(this.d.store, token, kind, this.d.clock.now());
  }

  async pendingIn(
    tx: Repos,
    token: string | null | undefined,
    kind: ConsoleOwner['kind'],
    now: number,
  ): Promise<PendingConsole | null> {
    if (!token || !/^[A-Za-z0-9_-]{40,64}$/.test(token)) return null;
    let pending: PendingConsoleSignin | null = null;
    for (const h of this.d.keyring.hmacAll('console-signin', token)) pending ??= await tx.consoleFactors.getPending(h);
    if (!pending || pending.owner.kind !== kind || !isPendingLive(pending, now)) return null;
    const recoveryCodes = await tx.consoleFactors.recoveryCodesLeft(pending.owner);
    if (kind === 'operator') {
      const operator = await tx.operators.get(pending.owner.id);
      if (!operator) return null;
      const app = await tx.operatorAuthenticators.confirmed(operator.id);
      const passkeys = await tx.operatorPasskeys.list(operator.id);
      const has = { authenticator: app !== null, passkey: passkeys.length > 0, recoveryCodes };
      return { pending, account: null, tenant: null, operator, login: operator.login, has };
    }
    const account = await tx.directory.getAccount(pending.owner.id);
    const tenant = account ? await tx.directory.getTenant(account.tenantId) : null;
    if (!account || !account.enabled || !tenant) return null;
    const app = await tx.authenticators.confirmed(account.id);
    const passkeys = await tx.passkeys.list(account.id);
    const has = { authenticator: app !== null, passkey: passkeys.length > 0, recoveryCodes };
    return { pending, account, tenant, operator: null, login: account.login, has };
  }

  /** An authenticator app's code: the owner's app, each time step once. */
  verifyAuthenticator(
    token: string,
    kind: ConsoleOwner['kind'],
    input: string,
    rc: RequestContext,
  ): Promise<Result<ConsoleSignedIn, SecondStepError>> {
    const typed = normalizeCodeInput(input);
    return this.step(token, kind, rc, 'authenticator', async (tx, p, now) => {
      if (typed === null) return err('code_malformed');
      const app = await this.apps(tx, kind).confirmed(p.pending.owner.id);
      if (!app) return err('invalid_code');
      const secret = this.d.keyring.open(app.secretSealed);
      let step: number | null = null;
      let reason = 'mismatch';
      const checked = await checkOneTimeCode({
        typed,
        compare: (code) => {
          const verdict = judgeTotp(secret, code, now, app.lastStep);
          if (verdict.ok) step = verdict.step;
          else reason = verdict.reason;
          return verdict.ok;
        },
        maxAttempts: CONSOLE_FACTOR_MAX_ATTEMPTS,
        fresh: isPendingLive(p.pending, now),
        countAttempt: () => tx.consoleFactors.countAttempt(p.pending.idHash, CONSOLE_FACTOR_MAX_ATTEMPTS),
        consume: async () => step !== null && this.apps(tx, kind).acceptStep(app.id, step),
      });
      if (checked.ok) return ok(true);
      return err(
        checked.reason === 'attempts_exhausted' ? 'attempts_exhausted' : 'invalid_code',
        checked.reason === 'mismatch' ? reason : checked.reason,
      );
    });
  }

  /** A recovery code: its HMAC, the owner's and unused, marked used once; the owner is told. */
  verifyRecoveryCode(
    token: string,
    kind: ConsoleOwner['kind'],
    input: string,
    rc: RequestContext,
  ): Promise<Result<ConsoleSignedIn, SecondStepError>> {
    const typed = normalizeRecoveryCode(input);
    return this.step(token, kind, rc, 'recovery_code', async (tx, p, now) => {
      if (typed === null) return err('code_malformed');
      const attempts = await tx.consoleFactors.countAttempt(p.pending.idHash, CONSOLE_FACTOR_MAX_ATTEMPTS);
      const fresh = isPendingLive(p.pending, now);
      // the stored form is an HMAC under a key outside the database: finding it by that HMAC
      // compares nothing an attacker can time, and the conditional update uses it once
      const matches =
        attempts !== null &&
        fresh &&
        (await tx.consoleFactors.useRecoveryCode(p.pending.owner, this.recoveryHash(p.pending.owner, typed), now));
      const verdict = judgeCode({ attempts, maxAttempts: CONSOLE_FACTOR_MAX_ATTEMPTS, fresh, matches });
      if (!verdict.ok) {
        return err(verdict.reason === 'attempts_exhausted' ? 'attempts_exhausted' : 'invalid_code', verdict.reason);
      }
      const left = await tx.consoleFactors.recoveryCodesLeft(p.pending.owner);
      await this.audit(tx, p, rc, now, 'console.recovery_code_used', 'ok', { left });
      await queueRecoveryNotice(tx, this.d, p, now, rc);
      return ok(true);
    });
  }

  /** The passkey step's options: a challenge bound to this pending sign-in, made for its owner. */
  async passkeyOptions(
    token: string,
    kind: ConsoleOwner['kind'],
  ): Promise<PublicKeyCredentialRequestOptionsJSON | null> {
    const now = this.d.clock.now();
    return this.d.store.transaction(async (tx) => {
      const p = await this.pendingIn(tx, token, kind, now);
      if (!p || !p.has.passkey) return null;
      const options = await this.ceremony.authenticationOptions();
      await this.passkeys(tx, kind).createChallenge({
        id: this.d.random.uuid(),
        challengeHash: this.ceremony.challengeHash(options.challenge),
        purpose: 'signin',
        binding: p.pending.idHash,
        accountId: p.pending.owner.id,
        createdAt: now,
        expiresAt: now + PASSKEY_CHALLENGE_MS,
      });
      return options;
    });
  }

  /**
   * The browser's assertion (the shared ceremony check, `PasskeyCeremony.checkSignin`): the
   * challenge of this pending sign-in, once; a credential of the owner among its kind's passkeys
   * (an account's passkey does not open the support console, nor an operator's an account);
   * signature, user verification, a counter that went up.
   */
  verifyPasskey(
    token: string,
    kind: ConsoleOwner['kind'],
    credentialJson: string,
    rc: RequestContext,
  ): Promise<Result<ConsoleSignedIn, SecondStepError>> {
    return this.step(token, kind, rc, 'passkey', async (tx, p, now) => {
      if ((await tx.consoleFactors.countAttempt(p.pending.idHash, CONSOLE_FACTOR_MAX_ATTEMPTS)) === null) {
        return err('attempts_exhausted', 'attempts_exhausted');
      }
      const refused = await this.ceremony.checkSignin(this.passkeys(tx, kind), {
        credentialJson,
        binding: p.pending.idHash,
        ownerId: p.pending.owner.id,
        now,
      });
      return refused === null ? ok(true) : err('passkey_refused', refused);
    });
  }

  /**
   * One second-step attempt in one transaction: the live pending sign-in, the check, then on
   * success the pending sign-in ended once and a fresh session opened; on failure a sign-in
   * failure of the owner. Audited either way.
   */
  private async step(
    token: string,
    kind: ConsoleOwner['kind'],
    rc: RequestContext,
    how: SecondStepKind,
    check: (tx: Repos, p: PendingConsole, now: number) => Promise<Result<true, SecondStepError>>,
  ): Promise<Result<ConsoleSignedIn, SecondStepError>> {
    const now = this.d.clock.now();
    const result = await this.d.store.transaction(async (tx): Promise<Result<ConsoleSignedIn, SecondStepError>> => {
      const p = await this.pendingIn(tx, token, kind, now);
      if (!p) return err('pending_unknown');
      const checked = await check(tx, p, now);
      if (!checked.ok) {
        const reason = checked.detail ?? checked.error;
        const g = await this.guards(tx, kind).recordSigninFailure(p.pending.owner.id, now);
        await this.audit(tx, p, rc, now, 'console.second_factor_failed', reason, { how, failures: g.failures });
        return err(checked.error);
      }
      return this.complete(tx, p, rc, now, how);
    });
    if (result.ok) this.d.outbox.wake();
    return result;
  }

  /** Ends the pending sign-in once and opens the owner's session (also after a first registration). */
  async complete(
    tx: Repos,
    p: PendingConsole,
    rc: RequestContext,
    now: number,
    how: SecondStepKind,
  ): Promise<Result<ConsoleSignedIn, SecondStepError>> {
    if (!(await tx.consoleFactors.finish(p.pending.idHash, now))) return err('pending_unknown');
    const token = newSessionToken(this.d.random);
    const base = { createdAt: now, lastSeenAt: now, expiresAt: now + this.d.policy.absoluteMs };
    if (p.operator) {
      await tx.operators.createSession({
        ...base,
        idHash: this.d.keyring.hmac('operator-session', token),
        operatorId: p.operator.id,
      });
    } else {
      await tx.directory.createSession({
        ...base,
        idHash: this.d.keyring.hmac('session', token),
        accountId: p.account!.id,
      });
    }
    await this.audit(tx, p, rc, now, 'console.second_factor_passed', how, {});
    const recoveryCodesLeft = await tx.consoleFactors.recoveryCodesLeft(p.pending.owner);
    return ok({ token, mustChangePassword: p.account?.mustChangePassword ?? false, recoveryCodesLeft });
  }

  recoveryHash(owner: ConsoleOwner, code: string): string {
    return this.d.keyring.hmac('recovery-code', `${owner.kind}:${owner.id}:${code}`);
  }

  apps(tx: Repos, kind: ConsoleOwner['kind']): AuthenticatorRepo {
    return kind === 'operator' ? tx.operatorAuthenticators : tx.authenticators;
  }

  passkeys(tx: Repos, kind: ConsoleOwner['kind']): PasskeyRepo {
    return kind === 'operator' ? tx.operatorPasskeys : tx.passkeys;
  }

  private guards(tx: Repos, kind: ConsoleOwner['kind']): Repos['auth'] | Repos['operators'] {
    return kind === 'operator' ? tx.operators : tx.auth;
  }

  /** An event of the owner's own sign-in: the account's (actor `self`, its tenant) or the operator's. */
  async audit(
    tx: Repos,
    p: Pick<PendingConsole, 'account' | 'operator'>,
    rc: RequestContext | null,
    at: number,
    type: AuditEventType,
    outcome: string,
    details: AuditDetails,
  ): Promise<void> {
    if (p.account) return appendSelfEvent(tx, p.account, rc, at, type, outcome, details);
    const o = p.operator!;
    await appendAudit(tx, {
      at,
      tenantId: null,
      accountId: null,
      actor: `operator:${o.id}`,
      type,
      outcome,
      rc,
      details: { operatorId: o.id, ...details },
    });
  }
}
