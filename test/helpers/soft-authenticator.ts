import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

/**
 * A software WebAuthn authenticator for service tests: ES256 (P-256) with node:crypto, `none`
 * attestation, user presence and verification flags set (as a platform authenticator after a
 * fingerprint), a signature counter the test controls. It answers the options JSON that
 * @simplewebauthn/server makes with the JSON a browser's `PublicKeyCredential.toJSON()` gives.
 */

type Cbor = number | string | Uint8Array | Map<Cbor, Cbor> | { [k: string]: Cbor };

function head(major: number, n: number): number[] {
  if (n < 24) return [(major << 5) | n];
  if (n < 256) return [(major << 5) | 24, n];
  if (n < 65536) return [(major << 5) | 25, n >> 8, n & 255];
  return [(major << 5) | 26, (n >>> 24) & 255, (n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** The CBOR the WebAuthn structures need: unsigned and negative integers, byte and text strings, maps. */
export function cbor(v: Cbor): Uint8Array {
  if (typeof v === 'number') return Uint8Array.from(v >= 0 ? head(0, v) : head(1, -1 - v));
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([Uint8Array.from(head(3, b.length)), b]);
  }
  if (v instanceof Uint8Array) return Buffer.concat([Uint8Array.from(head(2, v.length)), v]);
  const entries = v instanceof Map ? [...v.entries()] : Object.entries(v);
  return Buffer.concat([Uint8Array.from(head(5, entries.length)), ...entries.flatMap(([k, x]) => [cbor(k), cbor(x)])]);
}

const b64url = (b: Uint8Array) => Buffer.from(b).toString('base64url');
const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest();

function counterBytes(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export interface SoftCredential {
  readonly id: string;
  readonly rpId: string;
  readonly userHandle: string;
  readonly privateKey: KeyObject;
  /** The next assertion's signature counter (incremented by each `get` unless given). */
  counter: number;
}

export class SoftAuthenticator {
  readonly credentials: SoftCredential[] = [];

  constructor(
    private readonly origin: string,
    /** Flags: user verification done (UV); off makes an authenticator that only tests presence. */
    private readonly userVerified = true,
  ) {}

  /** Answers `navigator.credentials.create` for the options JSON; the registration JSON. */
  create(options: { challenge: string; rp: { id?: string }; user: { id: string } }, counter = 0): string {
    const rpId = options.rp.id!;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const id = randomBytes(16);
    const cose = cbor(
      new Map<Cbor, Cbor>([
        [1, 2],
        [3, -7],
        [-1, 1],
        [-2, Buffer.from(jwk.x!, 'base64url')],
        [-3, Buffer.from(jwk.y!, 'base64url')],
      ]),
    );
    const flags = 0x01 | (this.userVerified ? 0x04 : 0) | 0x40;
    const authData = Buffer.concat([
      sha256(rpId),
      Uint8Array.from([flags]),
      counterBytes(counter),
      Buffer.alloc(16),
      Uint8Array.from([0, id.length]),
      id,
      cose,
    ]);
    const clientDataJSON = Buffer.from(
      JSON.stringify({
        type: 'webauthn.create',
        challenge: options.challenge,
        origin: this.origin,
        crossOrigin: false,
      }),
    );
    const attestationObject = cbor({ fmt: 'none', attStmt: new Map(), authData });
    this.credentials.push({ id: b64url(id), rpId, userHandle: options.user.id, privateKey, counter: counter + 1 });
    return JSON.stringify({
      id: b64url(id),
      rawId: b64url(id),
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        attestationObject: b64url(attestationObject),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    });
  }

  /** Answers `navigator.credentials.get` with a discoverable credential (the last one made, or `which`). */
  get(
    options: { challenge: string; rpId?: string },
    p: { which?: SoftCredential; counter?: number; origin?: string } = {},
  ): string {
    const c = p.which ?? this.credentials.at(-1)!;
    const counter = p.counter ?? c.counter++;
    const flags = 0x01 | (this.userVerified ? 0x04 : 0);
    const authData = Buffer.concat([sha256(options.rpId ?? c.rpId), Uint8Array.from([flags]), counterBytes(counter)]);
    const clientDataJSON = Buffer.from(
      JSON.stringify({
        type: 'webauthn.get',
        challenge: options.challenge,
        origin: p.origin ?? this.origin,
        crossOrigin: false,
      }),
    );
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), c.privateKey);
    return JSON.stringify({
      id: c.id,
      rawId: c.id,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientDataJSON),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: c.userHandle,
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    });
  }
}
