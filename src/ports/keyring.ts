/**
 * Keys that live outside the database. `hmac` makes the stored form of codes, tokens and
 * session ids; `seal`/`open` encrypt message content waiting in the outbox.
 */
export interface Keyring {
  /** Hex HMAC-SHA-256 of `value` under a key derived for `purpose`. */
  hmac(purpose: string, value: string): string;
  /** Constant-time comparison of two hex digests. */
  equal(a: string, b: string): boolean;
  seal(plaintext: string): string;
  /** Throws if the ciphertext was tampered with or sealed under another key. */
  open(sealed: string): string;
}
