/** Sign-in throttling and single-session revocation (sessions themselves live in DirectoryRepo). */
export interface SigninGuard {
  readonly failures: number;
  readonly lastFailureAt: number;
}

export interface AuthRepo {
  getSigninGuard(accountId: string): Promise<SigninGuard | null>;
  recordSigninFailure(accountId: string, now: number): Promise<SigninGuard>;
  clearSigninGuard(accountId: string): Promise<void>;
  /** Revokes one session; true when it was live. */
  revokeSession(idHash: string, now: number): Promise<boolean>;
}
