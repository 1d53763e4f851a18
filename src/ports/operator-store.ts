import type { Result } from '../core/result.ts';
import type { SigninGuard } from './auth-store.ts';

/**
 * Operators (Technical Support) are not accounts of any tenant: they have their own table, their
 * own sessions and their own sign-in throttling.
 */
export interface Operator {
  readonly id: string;
  /** Normalised (NFKC, trimmed, lower case). */
  readonly login: string;
  readonly displayName: string;
  /** argon2id PHC string. */
  readonly passwordHash: string;
  readonly createdAt: number;
}

export interface OperatorSession {
  /** HMAC of the session secret; the secret itself is only in the cookie. */
  readonly idHash: string;
  readonly operatorId: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly expiresAt: number;
  readonly revokedAt: number | null;
}

export interface OperatorRepo {
  create(o: Operator): Promise<Result<Operator, 'login_taken'>>;
  get(id: string): Promise<Operator | null>;
  findByLogin(login: string): Promise<Operator | null>;
  /** Ordered by login. */
  list(): Promise<Operator[]>;

  createSession(s: Omit<OperatorSession, 'revokedAt'>): Promise<void>;
  getSession(idHash: string): Promise<OperatorSession | null>;
  touchSession(idHash: string, now: number): Promise<void>;
  /** True when the session was live. */
  revokeSession(idHash: string, now: number): Promise<boolean>;

  getSigninGuard(operatorId: string): Promise<SigninGuard | null>;
  recordSigninFailure(operatorId: string, now: number): Promise<SigninGuard>;
  clearSigninGuard(operatorId: string): Promise<void>;
}
