/** A proof-of-work CAPTCHA (ALTCHA): no third party, nothing to track. */
export interface Captcha {
  /** A fresh signed challenge, as the widget (or an API client) expects it. */
  challenge(): Promise<unknown>;
  /** Verifies a solution payload (base64 JSON from the widget); each solution is accepted once. */
  verify(payload: string): Promise<boolean>;
}
