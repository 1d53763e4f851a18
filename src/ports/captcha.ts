/** A proof-of-work CAPTCHA (ALTCHA): no third party, nothing to track. */
export interface Captcha {
  /** A fresh signed challenge, as the widget (or an API client) expects it. */
  challenge(): Promise<unknown>;
  /** Verifies a solution payload (base64 JSON from the widget); each solution is accepted once. */
  verify(payload: string): Promise<boolean>;
  /**
   * Checks a solution payload without recording its use: the caller records `id` as used
   * (`FlowRepo.markCaptchaUsed`) in the transaction of the work the solution allows, so both
   * commit together. Null when the payload is malformed, forged or expired.
   */
  check(payload: string): CaptchaSolution | null;
  /**
   * `solution`'s single use is on record (a committed transaction stored it, or found it stored
   * already): from now on `check` refuses it without the store being asked. A shortcut for replays
   * this instance has seen, bounded in memory; the record in the store stays what decides.
   */
  spent(solution: CaptchaSolution): void;
}

/** A solution whose signatures check out, not yet recorded as used. */
export interface CaptchaSolution {
  /** Records its single use (the challenge's signature). */
  readonly id: string;
  /** Until when the record must be kept (ms since the epoch). */
  readonly expiresAt: number;
}
