import { isAdminRole, type Account, type Tenant } from '../core/directory-model.ts';
import { normalizeLogin } from '../core/login.ts';
import { checkPassword, normalizePassword, type PasswordProblem } from '../core/password-policy.ts';
import { isSessionLive, signinWaitMs, type SigninPolicy } from '../core/signin-policy.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { Clock } from '../ports/clock.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { PasswordHasher } from '../ports/password-hasher.ts';
import type { Random } from '../ports/random.ts';
import type { Session } from '../core/directory-model.ts';
import type { Repos, Store } from '../ports/store.ts';
import type { RequestContext } from './request-context.ts';
import { appendSelfEvent } from './audit-context.ts';

/**
 * Password sign-in and server-side sessions. A session id is 256 random bits; only its HMAC is
 * stored. Sessions end when idle, at an absolute limit, at sign-out, and all at once when the
 * password changes. Wrong passwords slow the account down (growing delays) but never lock it.
 */
export interface SessionDeps {
  readonly store: Store;
  readonly keyring: Keyring;
  readonly random: Random;
  readonly clock: Clock;
  readonly hasher: PasswordHasher;
  readonly policy: SigninPolicy;
}

export interface Authenticated {
  readonly account: Account;
  readonly tenant: Tenant;
  readonly session: Session;
  /** Whether both reset methods are registered and verified (admins need both for the console). */
  readonly methods: { readonly email: boolean; readonly phone: boolean };
}

export type SigninError = 'invalid_credentials' | 'signin_throttled';
export type ChangePasswordError = 'invalid_credentials' | 'password_mismatch' | 'password_reused' | PasswordProblem;

const PASSWORD_HISTORY = 5;

export class SessionService {
  #dummyHash: Promise<string> | null = null;

  constructor(private readonly d: SessionDeps) {}

  /** Same work for unknown, disabled and password-less accounts: one argon2 verification each. */
  async signIn(
    loginInput: string,
    password: string,
    rc: RequestContext,
  ): Promise<Result<{ token: string; account: Account }, SigninError> & { retryAfterMs?: number }> {
    const login = normalizeLogin(loginInput);
    const account = login.ok ? await this.d.store.directory.findAccountByLogin(login.value) : null;
    const now = this.d.clock.now();
    if (account) {
      const guard = await this.d.store.auth.getSigninGuard(account.id);
      const wait = guard ? signinWaitMs(this.d.policy, guard.failures, guard.lastFailureAt, now) : 0;
      if (wait > 0) {
        await this.audit(this.d.store, account, rc, now, 'signin.throttled', 'refused', { waitMs: wait });
        return { ...err('signin_throttled'), retryAfterMs: wait };
      }
    }
    const hash = account?.passwordHash ?? (await this.dummyHash());
    const matches = await this.d.hasher.verify(hash, normalizePassword(password.slice(0, 1024)));
    if (!account || !account.enabled || !account.passwordHash || !matches) {
      if (account) {
        await this.d.store.transaction(async (tx) => {
          const g = await tx.auth.recordSigninFailure(account.id, now);
          await this.audit(tx, account, rc, now, 'signin.failed', account.enabled ? 'wrong_password' : 'disabled', {
            failures: g.failures,
          });
        });
      }
      return err('invalid_credentials');
    }
    if (account.mustChangePassword) {
      // a temporary password set by an admin works for 24 h only (admin-service.ts)
      const temp = await this.d.store.admin.getTempPassword(account.id);
      if (temp && temp.passwordHash === account.passwordHash && now >= temp.expiresAt) {
        await this.audit(this.d.store, account, rc, now, 'signin.failed', 'temp_password_expired', {});
        return err('invalid_credentials');
      }
    }
    const token = this.token();
    await this.d.store.transaction(async (tx) => {
      await tx.auth.clearSigninGuard(account.id);
      await tx.directory.createSession({
        idHash: this.d.keyring.hmac('session', token),
        accountId: account.id,
        createdAt: now,
        lastSeenAt: now,
        expiresAt: now + this.d.policy.absoluteMs,
      });
      await this.audit(tx, account, rc, now, 'signin.succeeded', 'ok', {});
    });
    return ok({ token, account });
  }

  /** The signed-in person behind a session token, or null (unknown, revoked, idle or expired). */
  async authenticate(token: string | null | undefined): Promise<Authenticated | null> {
    if (!token || !/^[A-Za-z0-9_-]{40,64}$/.test(token)) return null;
    let session: Session | null = null;
    for (const candidate of this.d.keyring.hmacAll('session', token)) {
      session ??= await this.d.store.directory.getSession(candidate);
    }
    const idHash = session?.idHash ?? '';
    const now = this.d.clock.now();
    if (!session || !isSessionLive(this.d.policy, session, now)) return null;
    const account = await this.d.store.directory.getAccount(session.accountId);
    if (!account || !account.enabled) return null;
    const tenant = await this.d.store.directory.getTenant(account.tenantId);
    if (!tenant) return null;
    if (now - session.lastSeenAt > 60_000) await this.d.store.directory.touchSession(idHash, now);
    const methods = await this.d.store.directory.listMethods(account.id);
    const has = (kind: string) => methods.some((m) => m.kind === kind && m.verifiedAt !== null);
    return { account, tenant, session, methods: { email: has('email'), phone: has('phone') } };
  }

  async signOut(token: string, rc: RequestContext): Promise<void> {
    const auth = await this.authenticate(token);
    const now = this.d.clock.now();
    for (const idHash of this.d.keyring.hmacAll('session', token)) await this.d.store.auth.revokeSession(idHash, now);
    if (auth) await this.audit(this.d.store, auth.account, rc, now, 'signout', 'ok', {});
  }

  /**
   * Changes the signed-in person's password (also the forced change after an admin-assisted
   * reset). Every session of the account is revoked and a fresh one returned.
   */
  async changePassword(
    auth: Authenticated,
    current: string,
    next: string,
    confirm: string,
    rc: RequestContext,
  ): Promise<Result<{ token: string }, ChangePasswordError>> {
    const account = auth.account;
    if (!account.passwordHash || !(await this.d.hasher.verify(account.passwordHash, normalizePassword(current)))) {
      return err('invalid_credentials');
    }
    if (normalizePassword(next) !== normalizePassword(confirm)) return err('password_mismatch');
    const methods = await this.d.store.directory.listMethods(account.id);
    const checked = checkPassword(next, {
      minLength: auth.tenant.policy.passwordMinLength,
      personal: [
        account.login,
        account.displayName,
        auth.tenant.name,
        ...methods.filter((m) => m.kind === 'email').map((m) => m.value),
      ],
    });
    if (!checked.ok) return err(checked.error);
    const recent = [
      account.passwordHash,
      ...(await this.d.store.flows.recentPasswordHashes(account.id, PASSWORD_HISTORY)),
    ];
    for (const h of recent) if (await this.d.hasher.verify(h, checked.value)) return err('password_reused');
    const hash = await this.d.hasher.hash(checked.value);
    const now = this.d.clock.now();
    const token = this.token();
    await this.d.store.transaction(async (tx) => {
      await tx.flows.addPasswordHistory(account.id, account.passwordHash!, now);
      await tx.directory.updateAccount(account.id, { passwordHash: hash, mustChangePassword: false }, now);
      const revoked = await tx.directory.revokeSessions(account.id, now);
      await tx.flows.endAccountFlows(account.id, null, now);
      await tx.directory.createSession({
        idHash: this.d.keyring.hmac('session', token),
        accountId: account.id,
        createdAt: now,
        lastSeenAt: now,
        expiresAt: now + this.d.policy.absoluteMs,
      });
      await this.audit(tx, account, rc, now, 'password.changed', 'ok', { by: 'signed-in', sessionsRevoked: revoked });
    });
    return ok({ token });
  }

  /** Whether the person may use the admin console now. */
  static consoleAccess(auth: Authenticated): 'ok' | 'not_admin' | 'must_change_password' | 'methods_missing' {
    if (!isAdminRole(auth.account.role)) return 'not_admin';
    if (auth.account.mustChangePassword) return 'must_change_password';
    if (!auth.methods.email || !auth.methods.phone) return 'methods_missing';
    return 'ok';
  }

  private token(): string {
    return Buffer.from(this.d.random.bytes(32)).toString('base64url');
  }

  private dummyHash(): Promise<string> {
    this.#dummyHash ??= this.d.hasher.hash(Buffer.from(this.d.random.bytes(24)).toString('base64url'));
    return this.#dummyHash;
  }

  private async audit(
    tx: Repos,
    account: Account,
    rc: RequestContext,
    at: number,
    type: string,
    outcome: string,
    details: Record<string, string | number | boolean | null>,
  ): Promise<void> {
    await appendSelfEvent(tx, account, rc, at, type, outcome, details);
  }
}
