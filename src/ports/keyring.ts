/**
 * Keys that live outside the database. `hmac` makes the stored form of codes, tokens and
 * session ids; `seal`/`open` encrypt message content waiting in the outbox.
 */
export interface Keyring {
  /** Hex HMAC-SHA-256 of `value` under a key derived for `purpose`. */
  hmac(purpose: string, value: string): string;
  /**
   * The HMAC of `value` under the current key, then under each previous key (during a key
   * rotation). Lookups by stored hash try each in turn, so flows, sessions and links made before
   * the rotation keep working until they expire.
   */
  hmacAll(purpose: string, value: string): readonly string[];
  /** Whether `stored` is the HMAC of `value` under the current or a previous key (constant time per key). */
  matches(purpose: string, value: string, stored: string): boolean;
  /** Constant-time comparison of two hex digests. */
  equal(a: string, b: string): boolean;
  seal(plaintext: string): string;
  /** Tries the current key, then the previous ones; throws if none opens it (tampered, or an unknown key). */
  open(sealed: string): string;
}
