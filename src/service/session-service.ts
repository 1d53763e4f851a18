import type { Locale } from '../core/i18n.ts';
import type { DirectoryWriteError } from '../core/directory-refusals.ts';
import { noticeName, noticePhrase } from '../core/message-templates.ts';
import type { DirectoryProvider } from '../ports/directory-provider.ts';
import { isAdminRole, type Account, type Tenant } from '../core/directory-model.ts';
import { domainOf, normalizeLogin } from '../core/login.ts';
import { normalizePassword, type PasswordProblem } from '../core/password-policy.ts';
import { isSessionLive, type SigninPolicy } from '../core/signin-policy.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { Clock } from '../ports/clock.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { PasswordHasher } from '../ports/password-hasher.ts';
import type { Random } from '../ports/random.ts';
import type { Session } from '../core/directory-model.ts';
import type { Repos, Store } from '../ports/store.ts';
import type { RequestContext } from './request-context.ts';
import { appendSelfEvent } from './audit-context.ts';
import { needsConsoleFactor } from '../core/console-factor.ts';
import { openPendingConsole } from './console-factor-service.ts';
import { CredentialChange } from './credential-change.ts';
import {
  newSessionToken,
  PasswordSignin,
  proveByDirectory,
  type SigninOutcome,
  type SigninPrincipal,
} from './password-signin.ts';

/**
 * Password sign-in and server-side sessions. A session id is 256 random bits; only its HMAC is
 * stored. Sessions end when idle, at an absolute limit, at sign-out, and all at once when the
 * password changes. Wrong passwords slow the account down (growing delays) but never lock it.
 */
export interface SessionDeps {
  /** The tenants' directories (OpenLDAP, AD); absent: every tenant keeps its passwords in sspr. */
  readonly directories?: DirectoryProvider;
  readonly store: Store;
  readonly keyring: Keyring;
  readonly random: Random;
  readonly clock: Clock;
  readonly hasher: PasswordHasher;
  readonly policy: SigninPolicy;
  /** Woken after a password change queued its notices. */
  readonly outbox?: { wake(): void };
}

export interface Authenticated {
  readonly account: Account;
  readonly tenant: Tenant;
  readonly session: Session;
  /** Whether both reset methods are registered and verified (admins need both for the console). */
  readonly methods: { readonly email: boolean; readonly phone: boolean };
}

export type SigninError = 'invalid_credentials' | 'signin_throttled';
export type ChangePasswordError =
  | 'invalid_credentials'
  | 'password_mismatch'
  | 'password_reused'
  | PasswordProblem
  | DirectoryWriteError;

export class SessionService {
  constructor(private readonly d: SessionDeps) {}

  /** Saves the language a signed-in person chose (the language switcher): their pages and messages use it. */
  async saveLanguage(auth: Authenticated, locale: Locale): Promise<void> {
    if (auth.account.locale === locale) return;
    await this.d.store.directory.updateAccount(auth.account.id, { locale }, this.d.clock.now());
  }

  /**
   * Same work for unknown, disabled and password-less accounts: one argon2 verification each. A
   * refused sign-in says `unlockOffered` when the login's organisation (by its domain, the same for
   * every login there) keeps its passwords in a directory, where wrong passwords lock accounts.
   */
  async signIn(
    loginInput: string,
    password: string,
    rc: RequestContext,
  ): Promise<SigninOutcome<'account', Account, { readonly secondStep: boolean }> & { unlockOffered?: boolean }> {
    const result = await new PasswordSignin(this.d).signIn(this.#principal, loginInput, password, rc);
    // an administrator's password opened a pending console sign-in, not a session (console-factor-service.ts)
    if (result.ok)
      return { ...result, value: { ...result.value, secondStep: needsConsoleFactor(result.value.account.role) } };
    if (result.error !== 'invalid_credentials') return result;
    const login = normalizeLogin(loginInput);
    const tenant = login.ok ? await this.d.store.directory.findTenantByDomain(domainOf(login.value)) : null;
    const directory = tenant ? await this.d.store.directory.getTenantDirectory(tenant.id) : null;
    return directory ? { ...result, unlockOffered: true } : result;
  }

  /** People's accounts as sign-in principals: disabled accounts refused, temporary passwords expire. */
  readonly #principal: SigninPrincipal<Account, 'account'> = {
    kind: 'account',
    normalize: normalizeLogin,
    findByLogin: (login) => this.d.store.directory.findAccountByLogin(login),
    refusalOf: (a) => (a.enabled ? null : 'disabled'),
    lateRefusal: async (a, now, password) => {
      if (!a.mustChangePassword) return null;
      // a temporary password set by an admin works for 24 h only (admin-service.ts)
      const temp = await this.d.store.admin.getTempPassword(a.id);
      if (!temp || now < temp.expiresAt) return null;
      if (!a.externalId) return temp.passwordHash === a.passwordHash ? 'temp_password_expired' : null;
      // a directory account has no hash in sspr: the typed password (which the directory just
      // accepted) is the expired temporary one only when it matches the temporary password's hash
      // — a password the person set in the directory since then still signs in
      const typed = normalizePassword(password.slice(0, 1024));
      return (await this.d.hasher.verify(temp.passwordHash, typed)) ? 'temp_password_expired' : null;
    },
    // a directory account's password is proven by its directory (password-signin.ts)
    tenantOfLogin: async (login) => (await this.d.store.directory.findTenantByDomain(domainOf(login)))?.id ?? null,
    externalOf: (a) => (a.externalId ? { tenantId: a.tenantId, externalId: a.externalId } : null),
    markMustChange: async (tx, a, now) =>
      a.mustChangePassword ? a : ((await tx.directory.updateAccount(a.id, { mustChangePassword: true }, now)) ?? a),
    guards: (repos) => repos.auth,
    openSession: (tx, a, token, now) =>
      needsConsoleFactor(a.role)
        ? openPendingConsole(tx, this.d.keyring, { kind: 'account', id: a.id }, token, now)
        : this.openSession(tx, a, token, now),
    audit: (tx, a, rc, now, step, outcome, details) =>
      appendSelfEvent(tx, a, rc, now, `signin.${step}`, outcome, details),
  };

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
    if (auth) await appendSelfEvent(this.d.store, auth.account, rc, now, 'signout', 'ok', {});
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
    const proven = await this.provesCurrent(account, current);
    if (proven !== 'ok') return err(proven);
    if (normalizePassword(next) !== normalizePassword(confirm)) return err('password_mismatch');
    const token = newSessionToken(this.d.random);
    const result = await new CredentialChange(this.d).change(
      {
        path: 'signed-in',
        account,
        tenant: auth.tenant,
        password: next,
        actor: 'self',
        rc,
        auditDetails: { by: 'signed-in' },
        adminNotice: {
          what: noticePhrase('email.phrase.changedAfterSignin'),
          by: noticeName(`${account.displayName} (${account.login})`),
        },
      },
      // the fresh session of the person who changed it, opened after every other one was revoked
      { after: (tx, _value, effects) => this.openSession(tx, effects.account, token, effects.now) },
    );
    if (!result.ok) return result.error === 'account_not_found' ? err('invalid_credentials') : err(result.error);
    return ok({ token });
  }

  /** Whether the person may use the admin console now. */
  static consoleAccess(auth: Authenticated): 'ok' | 'not_admin' | 'must_change_password' | 'methods_missing' {
    if (!isAdminRole(auth.account.role)) return 'not_admin';
    if (auth.account.mustChangePassword) return 'must_change_password';
    if (!auth.methods.email || !auth.methods.phone) return 'methods_missing';
    return 'ok';
  }

  /** The current password: sspr's hash, or the directory's bind for a directory account (must-change counts as proven). */
  private async provesCurrent(
    account: Account,
    current: string,
  ): Promise<'ok' | 'invalid_credentials' | 'directory_unreachable'> {
    if (account.externalId) {
      const proof = await proveByDirectory(
        this.d.directories,
        { tenantId: account.tenantId, externalId: account.externalId },
        current,
      );
      if (proof === 'unreachable') return 'directory_unreachable';
      return proof === 'ok' || proof === 'must_change' ? 'ok' : 'invalid_credentials';
    }
    const matches =
      !!account.passwordHash && (await this.d.hasher.verify(account.passwordHash, normalizePassword(current)));
    return matches ? 'ok' : 'invalid_credentials';
  }

  private async openSession(tx: Repos, account: Account, token: string, now: number): Promise<void> {
    await tx.directory.createSession({
      idHash: this.d.keyring.hmac('session', token),
      accountId: account.id,
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + this.d.policy.absoluteMs,
    });
  }
}
