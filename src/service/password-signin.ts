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
  lateRefusal?(p: P, now: number): Promise<string | null>;
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

export type PasswordSigninError = 'invalid_credentials' | 'signin_throttled';

export type SigninKind = 'account' | 'operator';

/** A sign-in's answer: the session token and the principal under its kind (`account`, `operator`). */
export type SigninOutcome<K extends SigninKind, P> = Result<
  { readonly token: string } & { readonly [key in K]: P },
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
    const stored = found?.passwordHash ?? null;
    const hash = stored ?? (await dummyHash(this.d.hasher, this.d.random));
    const matches = await this.d.hasher.verify(hash, normalizePassword(password.slice(0, VERIFY_MAX_CHARS)));
    const refusal = found ? (principal.refusalOf?.(found) ?? null) : null;
    if (!found || refusal !== null || stored === null || !matches) {
      if (found) {
        await this.d.store.transaction(async (tx) => {
          const g = await principal.guards(tx).recordSigninFailure(found.id, now);
          await principal.audit(tx, found, rc, now, 'failed', refusal ?? 'wrong_password', { failures: g.failures });
        });
      }
      return err('invalid_credentials');
    }
    const late = principal.lateRefusal ? await principal.lateRefusal(found, now) : null;
    if (late !== null) {
      await principal.audit(this.d.store, found, rc, now, 'failed', late, {});
      return err('invalid_credentials');
    }
    const token = newSessionToken(this.d.random);
    await this.d.store.transaction(async (tx) => {
      await principal.guards(tx).clearSigninGuard(found.id);
      await principal.openSession(tx, found, token, now);
      await principal.audit(tx, found, rc, now, 'succeeded', 'ok', {});
    });
    // the computed key is the principal's kind: TypeScript cannot see it is exactly K
    return ok({ token, [principal.kind]: found } as { readonly token: string } & { readonly [key in K]: P });
  }
}
