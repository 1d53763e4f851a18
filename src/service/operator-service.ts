import type { AuditEventType } from '../core/audit-events.ts';
import type { DirectoryProvider } from '../ports/directory-provider.ts';
import type { Actor } from '../core/admin-rules.ts';
import {
  checkPassword,
  PASSWORD_MIN_LENGTH_DEFAULT,
  personalWords,
  type PasswordProblem,
} from '../core/password-policy.ts';
import { err, ok, type Result } from '../core/result.ts';
import { isSessionLive, type SigninPolicy } from '../core/signin-policy.ts';
import type { Clock } from '../ports/clock.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { Operator, OperatorSession } from '../ports/operator-store.ts';
import type { PasswordHasher } from '../ports/password-hasher.ts';
import type { Random } from '../ports/random.ts';
import type { Repos, Store } from '../ports/store.ts';
import { PasswordSignin, type SigninOutcome, type SigninPrincipal } from './password-signin.ts';
import { appendAudit, type RequestContext } from './request-context.ts';
import { openPendingConsole } from './console-factor-service.ts';

/**
 * Operators: the people who run the service and answer Technical Support tickets. They are no
 * tenant's accounts: their own table (created with `sspr operator add`), their own sessions (id =
 * 256 random bits, only its HMAC stored; same idle and absolute limits as people's sessions) and
 * their own sign-in throttling (growing delays, no lockout). Sign-in and sign-out are audited.
 */
export interface OperatorDeps {
  /** The tenants' directories (OpenLDAP, AD); absent: every tenant keeps its passwords in sspr. */
  readonly directories?: DirectoryProvider;
  readonly store: Store;
  readonly keyring: Keyring;
  readonly random: Random;
  readonly clock: Clock;
  readonly hasher: PasswordHasher;
  readonly policy: SigninPolicy;
}

export interface OperatorAuth {
  readonly operator: Operator;
  readonly session: OperatorSession;
  /** The actor for the admin rules and the audit trail (`operator:<id>`). */
  readonly actor: Extract<Actor, { kind: 'operator' }>;
}

export type OperatorAddError = 'operator_login_invalid' | 'display_name_invalid' | 'login_taken' | PasswordProblem;
export type OperatorSigninError = 'invalid_credentials' | 'signin_throttled';

/** Operator logins: 1 to 64 of a–z, 0–9, `.`, `_`, `-`, `@` (an email address works). */
const OPERATOR_LOGIN = /^[a-z0-9._@-]{1,64}$/;

export function normalizeOperatorLogin(input: string): Result<string, 'operator_login_invalid'> {
  const value = input.normalize('NFKC').trim().toLowerCase();
  return OPERATOR_LOGIN.test(value)
    ? ok(value)
    : err('operator_login_invalid', 'An operator login is 1 to 64 of a-z, 0-9, ".", "_", "-" and "@".');
}

export function operatorActor(operator: Operator): Extract<Actor, { kind: 'operator' }> {
  return { kind: 'operator', operatorId: operator.id, login: operator.login };
}

export class OperatorService {
  constructor(private readonly d: OperatorDeps) {}

  async add(input: {
    readonly login: string;
    readonly displayName: string;
    readonly password: string;
    readonly actor: string;
  }): Promise<Result<Operator, OperatorAddError>> {
    const login = normalizeOperatorLogin(input.login);
    if (!login.ok) return login;
    const displayName = input.displayName.normalize('NFC').trim();
    if (displayName.length === 0 || displayName.length > 100 || /\p{Cc}/u.test(displayName)) {
      return err('display_name_invalid', 'A display name is 1 to 100 characters.');
    }
    const checked = checkPassword(input.password, {
      minLength: PASSWORD_MIN_LENGTH_DEFAULT,
      personal: personalWords({ login: login.value, displayName, tenantName: null, emails: [] }),
    });
    if (!checked.ok) return checked;
    const passwordHash = await this.d.hasher.hash(checked.value);
    const now = this.d.clock.now();
    const id = this.d.random.uuid();
    return this.d.store.transaction(async (tx) => {
      const created = await tx.operators.create({
        id,
        login: login.value,
        displayName,
        passwordHash,
        createdAt: now,
      });
      if (!created.ok) return err('login_taken', `There is already an operator ${login.value}.`);
      await this.audit(tx, id, input.actor, null, now, 'operator.created', 'ok', { login: login.value });
      return created;
    });
  }

  list(): Promise<Operator[]> {
    return this.d.store.operators.list();
  }

  /** Same work for unknown logins (one argon2 verification); wrong passwords slow the login down. */
  signIn(loginInput: string, password: string, rc: RequestContext): Promise<SigninOutcome<'operator', Operator>> {
    return new PasswordSignin(this.d).signIn(this.#principal, loginInput, password, rc);
  }

  /** Operators as sign-in principals: their own table, throttling and sessions; audited as `operator.signin`. */
  readonly #principal: SigninPrincipal<Operator, 'operator'> = {
    kind: 'operator',
    normalize: normalizeOperatorLogin,
    findByLogin: (login) => this.d.store.operators.findByLogin(login),
    guards: (repos) => repos.operators,
    // the password opens a pending console sign-in; the session comes with the second step (console-factor-service.ts)
    openSession: (tx, o, token, now) =>
      openPendingConsole(tx, this.d.keyring, { kind: 'operator', id: o.id }, token, now),
    // the audit outcomes operators had before sign-in was one: throttled, wrong_password, ok
    audit: (tx, o, rc, now, step, outcome, details) =>
      this.audit(
        tx,
        o.id,
        `operator:${o.id}`,
        rc,
        now,
        'operator.signin',
        step === 'throttled' ? 'throttled' : outcome,
        details,
      ),
  };

  /** The operator behind a session token, or null (unknown, revoked, idle or expired). */
  async authenticate(token: string | null | undefined): Promise<OperatorAuth | null> {
    if (!token || !/^[A-Za-z0-9_-]{40,64}$/.test(token)) return null;
    let session = null;
    for (const candidate of this.d.keyring.hmacAll('operator-session', token)) {
      session ??= await this.d.store.operators.getSession(candidate);
    }
    const idHash = session?.idHash ?? '';
    const now = this.d.clock.now();
    if (!session || !isSessionLive(this.d.policy, session, now)) return null;
    const operator = await this.d.store.operators.get(session.operatorId);
    if (!operator) return null;
    if (now - session.lastSeenAt > 60_000) await this.d.store.operators.touchSession(idHash, now);
    return { operator, session, actor: operatorActor(operator) };
  }

  async signOut(token: string, rc: RequestContext): Promise<void> {
    const auth = await this.authenticate(token);
    const now = this.d.clock.now();
    for (const idHash of this.d.keyring.hmacAll('operator-session', token)) {
      await this.d.store.operators.revokeSession(idHash, now);
    }
    if (auth) {
      await this.audit(
        this.d.store,
        auth.operator.id,
        `operator:${auth.operator.id}`,
        rc,
        now,
        'operator.signout',
        'ok',
        {},
      );
    }
  }

  private async audit(
    tx: Repos,
    operatorId: string,
    actor: string,
    rc: RequestContext | null,
    at: number,
    type: AuditEventType,
    outcome: string,
    details: Record<string, string | number | boolean | null>,
  ): Promise<void> {
    await appendAudit(tx, {
      at,
      tenantId: null,
      accountId: null,
      actor,
      type,
      outcome,
      rc: rc,
      details: { operatorId, ...details },
    });
  }
}
