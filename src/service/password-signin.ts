import type { DirectoryProvider } from '../ports/directory-provider.ts';
import { normalizePassword } from '../core/password-policy.ts';
import { err, ok, type Result } from '../core/result.ts';
import { signinWaitMs, type SigninPolicy } from '../core/signin-policy.ts';
import type { SigninGuard } from '../ports/auth-store.ts';
import type { Clock } from '../ports/clock.ts';
import type { PasswordHasher } from '../ports/password-hasher.ts';
import type { Random } from '../ports/random.ts';
import type { Repos, Store } from '../ports/store.ts';
import type { RequestContext } from './request-context.ts';

/**
 * The one password sign-in, for every kind of principal (a tenant's account, a Technical
 * Support operator): the principal is a parameter. Same work for unknown logins (one argon2
 * verification against the one dummy hash), growing delays after wrong passwords (one rule:
 * `signinWaitMs` of core/signin-policy.ts), never a lockout; the guard cleared and a session
 * opened in one transaction on success.
 *
 * A directory account (an account with an external id, whose tenant keeps its passwords in
 * OpenLDAP or Active Directory) has no password in sspr: the directory proves it, by a bind as the
 * person (found by its stable id, never by the typed login). Its null hash never means "no
 * password needed": without the directory's yes there is no session. A directory that does not
 * answer is `directory_unreachable` (nothing counted: the person did nothing wrong).
 */
/** Where a principal's sign-in throttling is kept (AuthRepo for accounts, OperatorRepo for operators). */
export interface SigninGuardRepo {
  getSigninGuard(id: string): Promise<SigninGuard | null>;
  recordSigninFailure(id: string, now: number): Promise<SigninGuard>;
  clearSigninGuard(id: string): Promise<void>;
}

/** What sign-in needs of any principal: an id and a password hash (null: none set). */
export interface SigninSubject {
  readonly id: string;
  readonly passwordHash: string | null;
}

export interface SigninPrincipal<P extends SigninSubject, K extends SigninKind> {
  /** `account` or `operator`: also the key of the principal in a successful sign-in's value. */
  readonly kind: K;
  /** The typed login in its stored form, or a refusal (then nobody is looked up). */
  normalize(loginInput: string): Result<string, string>;
  /** The principal with that login, or null. */
  findByLogin(login: string): Promise<P | null>;
  /** Why a principal with the right password may still not sign in (`disabled`), or null. */
  refusalOf?(p: P): string | null;
  /** After the password matched: a last refusal that needs a lookup (an expired temporary password), or null. */
  lateRefusal?(p: P, now: number, password: string): Promise<string | null>;
  /** The tenant of a login's domain (accounts only): an unknown login there costs the directory's work too. */
  tenantOfLogin?(login: string): Promise<string | null>;
  /** The principal's directory identity when its password lives in a directory (accounts only), or null. */
  externalOf?(p: P): DirectoryIdentity | null;
  /** The directory proved the password but wants it changed first (AD 773/532, OpenLDAP pwdReset): flag it, in `tx`. */
  markMustChange?(tx: Repos, p: P, now: number): Promise<P>;
  /** The repository of the principal's throttling, in the transaction or store given. */
  guards(repos: Repos): SigninGuardRepo;
  /** Stores the new session (only the HMAC of `token`). */
  openSession(tx: Repos, p: P, token: string, now: number): Promise<void>;
  /** Audits a step: `throttled`, `failed` (outcome: why) or `succeeded`. */
  audit(
    tx: Repos,
    p: P,
    rc: RequestContext,
    now: number,
    step: 'throttled' | 'failed' | 'succeeded',
    outcome: string,
    details: Record<string, number>,
  ): Promise<void>;
}

export interface PasswordSigninDeps {
  /** The tenants' directories (OpenLDAP, AD); absent: every tenant keeps its passwords in sspr. */
  readonly directories?: DirectoryProvider;
  readonly store: Store;
  readonly random: Random;
  readonly clock: Clock;
  readonly hasher: PasswordHasher;
  readonly policy: SigninPolicy;
}

export type PasswordSigninError = 'invalid_credentials' | 'signin_throttled' | 'directory_unreachable';

/** Who a directory account is in its directory. */
export interface DirectoryIdentity {
  readonly tenantId: string;
  readonly externalId: string;
}

/**
 * What the directory said about a password: `ok`; `must_change` (right password, to be changed
 * first); a refusal that counts as a failed sign-in (`wrong_password`, `locked`, `disabled`,
 * `not_allowed`, `gone`: the entry is no longer in the directory, `no_directory`: the tenant has
 * none any more); or `unreachable` (also a configuration problem: TLS, the service account, an
 * answer sspr does not know), which proves nothing and counts nothing.
 */
export type DirectoryProof =
  | 'ok'
  | 'must_change'
  | 'wrong_password'
  | 'locked'
  | 'disabled'
  | 'not_allowed'
  | 'gone'
  | 'no_directory'
  | 'unreachable';

/**
 * Proves a password against the person's directory entry: found by its stable id (renames
 * followed; the typed login never reaches a filter), then a bind as that DN. The password as sspr
 * writes it (NFKC) first; the one typed, when it differs, second (a password set outside sspr).
 */
export async function proveByDirectory(
  directories: DirectoryProvider | undefined,
  who: DirectoryIdentity,
  password: string,
): Promise<DirectoryProof> {
  if (!directories) return 'no_directory';
  const opened = await directories.forTenant(who.tenantId);
  if (!opened.ok) return 'unreachable';
  if (opened.value === null) return 'no_directory';
  const directory = opened.value;
  const found = await directory.getById(who.externalId);
  if (!found.ok) return 'unreachable';
  const entry = found.value;
  if (!entry) return 'gone';
  const typed = password.slice(0, VERIFY_MAX_CHARS);
  const normalized = normalizePassword(typed);
  let bound = await directory.verifyPassword(entry, normalized);
  if (!bound.ok && bound.error === 'wrong_password' && typed !== normalized)
    bound = await directory.verifyPassword(entry, typed);
  // OpenLDAP's bind succeeds under pwdReset (ppolicy then allows only a password change): the entry says so
  if (bound.ok) return entry.disabled ? 'disabled' : entry.mustChange ? 'must_change' : 'ok';
  switch (bound.error) {
    case 'wrong_password':
      // OpenLDAP answers a locked account's bind as a wrong password: its entry says locked
      return entry.disabled ? 'disabled' : entry.locked ? 'locked' : 'wrong_password';
    case 'locked':
    case 'disabled':
    case 'must_change':
    case 'not_allowed':
      return bound.error;
    default:
      // unreachable, TLS, an answer sspr does not know: the password was not checked
      return 'unreachable';
  }
}

export type SigninKind = 'account' | 'operator';

/** A sign-in's answer: the session token and the principal under its kind (`account`, `operator`). */
export type SigninOutcome<K extends SigninKind, P, X = unknown> = Result<
  { readonly token: string } & { readonly [key in K]: P } & X,
  PasswordSigninError
> & { retryAfterMs?: number };

/** Longest password verified: more is cut (argon2 hashes any length; a megabyte would still cost time). */
const VERIFY_MAX_CHARS = 1024;

/** One dummy hash per hasher, made once: the unknown login's verification costs what a real one does. */
const dummyHashes = new WeakMap<PasswordHasher, Promise<string>>();

export function dummyHash(hasher: PasswordHasher, random: Random): Promise<string> {
  let hash = dummyHashes.get(hasher);
  if (!hash) {
    hash = hasher.hash(Buffer.from(random.bytes(24)).toString('base64url'));
    dummyHashes.set(hasher, hash);
  }
  return hash;
}

/** A session token: 256 random bits, base64url. */
export function newSessionToken(random: Random): string {
  return Buffer.from(random.bytes(32)).toString('base64url');
}

export class PasswordSignin {
  constructor(private readonly d: PasswordSigninDeps) {}

  async signIn<P extends SigninSubject, K extends SigninKind>(
    principal: SigninPrincipal<P, K>,
    loginInput: string,
    password: string,
    rc: RequestContext,
  ): Promise<SigninOutcome<K, P>> {
    const login = principal.normalize(loginInput);
    const found = login.ok ? await principal.findByLogin(login.value) : null;
    const now = this.d.clock.now();
    if (found) {
      const guard = await principal.guards(this.d.store).getSigninGuard(found.id);
      const wait = guard ? signinWaitMs(this.d.policy, guard.failures, guard.lastFailureAt, now) : 0;
      if (wait > 0) {
        await principal.audit(this.d.store, found, rc, now, 'throttled', 'refused', { waitMs: wait });
        return { ...err('signin_throttled'), retryAfterMs: wait };
      }
    }
    const refusal = found ? (principal.refusalOf?.(found) ?? null) : null;
    const external = found ? (principal.externalOf?.(found) ?? null) : null;
    // a directory account's (null) hash is never compared: the dummy costs the same argon2 work
    const stored = external ? null : (found?.passwordHash ?? null);
    const hash = stored ?? (await dummyHash(this.d.hasher, this.d.random));
    const matches = await this.d.hasher.verify(hash, normalizePassword(password.slice(0, VERIFY_MAX_CHARS)));
    // the directory's work for every login of a directory tenant (a disabled account's, an unknown
    // login's: a search and a bind that prove nothing), so neither time nor "cannot check" tells them apart
    const proof = external
      ? await proveByDirectory(this.d.directories, external, password)
      : !found && login.ok && principal.tenantOfLogin
        ? await this.#decoyProof(await principal.tenantOfLogin(login.value), password)
        : null;
    if (proof === 'unreachable') {
      if (found) await principal.audit(this.d.store, found, rc, now, 'failed', 'directory_unreachable', {});
      return err('directory_unreachable');
    }
    const proven = external ? proof === 'ok' || proof === 'must_change' : stored !== null && matches;
    if (!found || refusal !== null || !proven) {
      if (found) {
        const why = refusal ?? (proof === null || proof === 'ok' || proof === 'must_change' ? 'wrong_password' : proof);
        await this.d.store.transaction(async (tx) => {
          const g = await principal.guards(tx).recordSigninFailure(found.id, now);
          await principal.audit(tx, found, rc, now, 'failed', why, { failures: g.failures });
        });
      }
      return err('invalid_credentials');
    }
    const late = principal.lateRefusal ? await principal.lateRefusal(found, now, password) : null;
    if (late !== null) {
      await principal.audit(this.d.store, found, rc, now, 'failed', late, {});
      return err('invalid_credentials');
    }
    const token = newSessionToken(this.d.random);
    const signedIn = await this.d.store.transaction(async (tx) => {
      await principal.guards(tx).clearSigninGuard(found.id);
      // the directory wants a new password first: the forced change (through the one credential change)
      const who =
        proof === 'must_change' && principal.markMustChange ? await principal.markMustChange(tx, found, now) : found;
      await principal.openSession(tx, who, token, now);
      await principal.audit(tx, who, rc, now, 'succeeded', proof === 'must_change' ? 'must_change' : 'ok', {});
      return who;
    });
    // the computed key is the principal's kind: TypeScript cannot see it is exactly K
    return ok({ token, [principal.kind]: signedIn } as { readonly token: string } & { readonly [key in K]: P });
  }

  /**
   * An unknown login of a tenant with a directory: the same round trips as a directory account's proof
   * (a search by a fresh id, a bind to a DN nobody has: no real account's failure count moves), and
   * the same `unreachable` when the directory does not answer. Proves nothing.
   */
  async #decoyProof(tenantId: string | null, password: string): Promise<DirectoryProof | null> {
    if (tenantId === null || !this.d.directories) return null;
    const opened = await this.d.directories.forTenant(tenantId);
    if (!opened.ok) return 'unreachable';
    if (opened.value === null) return null;
    const id = this.d.random.uuid();
    const found = await opened.value.getById(id);
    if (!found.ok) return 'unreachable';
    const bound = await opened.value.verifyPassword(
      {
        id,
        dn: `cn=sspr-no-such-entry-${id}`,
        login: '',
        displayName: '',
        email: null,
        mobile: null,
        admin: false,
        protected: false,
        disabled: false,
        locked: false,
      },
      normalizePassword(password.slice(0, VERIFY_MAX_CHARS)),
    );
    return !bound.ok && bound.error === 'unreachable' ? 'unreachable' : 'wrong_password';
  }
}
