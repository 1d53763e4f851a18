import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Keyring } from '../../ports/keyring.ts';

const SEAL_VERSION = 'v1';

/**
 * Keys derived (HKDF-SHA-256) from one master secret kept outside the database: one HMAC key per
 * purpose, one AES-256-GCM key for sealing queued messages.
 */
export class HkdfKeyring implements Keyring {
  readonly #master: Buffer;
  readonly #hmacKeys = new Map<string, Buffer>();
  readonly #sealKey: Buffer;
  /** Keyrings of the keys this one replaced (`SSPR_SECRET_KEY_PREVIOUS`), newest first. */
  readonly #previous: readonly HkdfKeyring[];

  constructor(master: Uint8Array, previous: readonly Uint8Array[] = []) {
    if (master.length < 32) throw new Error('the master key must be at least 32 bytes');
    this.#master = Buffer.from(master);
    this.#sealKey = this.#derive('seal');
    this.#previous = previous.map((key) => new HkdfKeyring(key));
  }

  hmacAll(purpose: string, value: string): readonly string[] {
    return [this.hmac(purpose, value), ...this.#previous.map((k) => k.hmac(purpose, value))];
  }

  matches(purpose: string, value: string, stored: string): boolean {
    let found = false;
    // every key is tried, so the time does not tell which one matched
    for (const candidate of this.hmacAll(purpose, value)) if (this.equal(candidate, stored)) found = true;
    return found;
  }

  #derive(info: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.#master, 'sspr', info, 32));
  }

  hmac(purpose: string, value: string): string {
    let key = this.#hmacKeys.get(purpose);
    if (!key) {
      key = this.#derive(`hmac:${purpose}`);
      this.#hmacKeys.set(purpose, key);
    }
    return createHmac('sha256', key).update(value, 'utf8').digest('hex');
  }

  equal(a: string, b: string): boolean {
    const x = Buffer.from(a, 'utf8');
    const y = Buffer.from(b, 'utf8');
    // compare equal-length buffers only; a length mismatch still costs one comparison
    if (x.length !== y.length) {
      timingSafeEqual(x, x);
      return false;
    }
    return timingSafeEqual(x, y);
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#sealKey, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${SEAL_VERSION}.${iv.toString('base64url')}.${body.toString('base64url')}.${cipher.getAuthTag().toString('base64url')}`;
  }

  open(sealed: string): string {
    try {
      return this.#openWithOwnKey(sealed);
    } catch (error) {
      for (const previous of this.#previous) {
        try {
          return previous.#openWithOwnKey(sealed);
        } catch {
          // try the next key
        }
      }
      throw error;
    }
  }

  #openWithOwnKey(sealed: string): string {
    const [version, iv, body, tag] = sealed.split('.');
    if (version !== SEAL_VERSION || !iv || body === undefined || !tag)
      throw new Error('sealed value has an unknown format');
    const decipher = createDecipheriv('aes-256-gcm', this.#sealKey, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }
}
