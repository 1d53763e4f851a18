import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransport,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  type RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { PASSKEY_CHALLENGE_BYTES, PASSKEY_CHALLENGE_MS, relyingParty } from '../core/passkey.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { PasskeyRecord } from '../ports/passkey-store.ts';
import type { Random } from '../ports/random.ts';

/**
 * The WebAuthn ceremonies, through `@simplewebauthn/server`, for My security info (registering)
 * and the reset gate (verifying). The relying party is the public URL (its host is the RP ID, its
 * origin the only origin accepted); user verification is required in the options and in the
 * check; a challenge is 32 bytes from the Random port, stored only as an HMAC (`challengeHash`).
 * The browser's answer is read from JSON here; nothing in it is trusted before the library checked
 * it, except the challenge, which only finds the stored HMAC.
 */
export class PasskeyCeremony {
  readonly rpId: string;
  readonly origin: string;

  constructor(
    private readonly d: { readonly keyring: Keyring; readonly random: Random },
    publicUrl: string,
  ) {
    const rp = relyingParty(publicUrl);
    this.rpId = rp.rpId;
    this.origin = rp.origin;
  }

  challengeHash(challenge: string): string {
    return this.d.keyring.hmac('passkey-challenge', challenge);
  }

  async registrationOptions(p: {
    rpName: string;
    accountId: string;
    login: string;
    displayName: string;
    existing: readonly PasskeyRecord[];
  }): Promise<PublicKeyCredentialCreationOptionsJSON> {
    return generateRegistrationOptions({
      rpName: p.rpName,
      rpID: this.rpId,
      userName: p.login,
      userDisplayName: p.displayName,
      userID: new TextEncoder().encode(p.accountId),
      challenge: new Uint8Array(this.d.random.bytes(PASSKEY_CHALLENGE_BYTES)),
      timeout: PASSKEY_CHALLENGE_MS,
      attestationType: 'none',
      excludeCredentials: p.existing.map((k) => ({
        id: k.credentialId,
        transports: k.transports as AuthenticatorTransport[],
      })),
      // a discoverable credential: the reset gate asks for "a passkey of this site" without naming
      // the account's credentials, so its first page reveals nothing about the login
      authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
    });
  }

  async authenticationOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    return generateAuthenticationOptions({
      rpID: this.rpId,
      challenge: new Uint8Array(this.d.random.bytes(PASSKEY_CHALLENGE_BYTES)),
      timeout: PASSKEY_CHALLENGE_MS,
      userVerification: 'required',
      allowCredentials: [],
    });
  }

  /** The checked registration: the credential to store, or null when anything is wrong. */
  async verifyRegistration(
    response: RegistrationResponseJSON,
    challenge: string,
  ): Promise<{ credentialId: string; publicKey: string; counter: number; transports: string[] } | null> {
    try {
      const v = await verifyRegistrationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.origin,
        expectedRPID: this.rpId,
        requireUserVerification: true,
      });
      if (!v.verified) return null;
      const c = v.registrationInfo.credential;
      return {
        credentialId: c.id,
        publicKey: Buffer.from(c.publicKey).toString('base64url'),
        counter: c.counter,
        transports: response.response.transports ?? [],
      };
    } catch {
      return null;
    }
  }

  /**
   * Checks an assertion's origin, RP ID, challenge, user verification and signature against the
   * stored public key; the new signature counter, or null. The counter itself is judged by the
   * caller with core/passkey `judgeCounter` (the library is given 0, which turns its own check off,
   * so that the rule and its audit live in one place).
   */
  async verifyAssertion(
    response: AuthenticationResponseJSON,
    challenge: string,
    passkey: PasskeyRecord,
  ): Promise<{ newCounter: number } | null> {
    try {
      const v = await verifyAuthenticationResponse({
        response,
        expectedChallenge: challenge,
        expectedOrigin: this.origin,
        expectedRPID: this.rpId,
        requireUserVerification: true,
        credential: {
          id: passkey.credentialId,
          publicKey: new Uint8Array(Buffer.from(passkey.publicKey, 'base64url')),
          counter: 0,
          transports: passkey.transports as AuthenticatorTransport[],
        },
      });
      return v.verified ? { newCounter: v.authenticationInfo.newCounter } : null;
    } catch {
      return null;
    }
  }
}

const B64URL = /^[A-Za-z0-9_-]{1,20000}$/;

/**
 * The browser's JSON (`PublicKeyCredential.toJSON()` or the same fields), shape-checked, with the
 * challenge its clientDataJSON carries; null when it is not one.
 */
export function readCredentialJson<T extends RegistrationResponseJSON | AuthenticationResponseJSON>(
  input: string,
  kind: 'register' | 'reset',
): { response: T; challenge: string } | null {
  if (input.length > 60_000) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(input);
  } catch {
    return null;
  }
  if (typeof parsed !== 'object' || parsed === null) return null;
  const r = parsed as Record<string, unknown>;
  const inner = r.response as Record<string, unknown> | undefined;
  if (typeof r.id !== 'string' || !B64URL.test(r.id) || r.type !== 'public-key') return null;
  if (typeof inner !== 'object' || inner === null || typeof inner.clientDataJSON !== 'string') return null;
  const needed = kind === 'register' ? ['attestationObject'] : ['authenticatorData', 'signature'];
  for (const f of needed) if (typeof inner[f] !== 'string' || !B64URL.test(inner[f])) return null;
  let challenge: unknown;
  try {
    challenge = (JSON.parse(Buffer.from(inner.clientDataJSON, 'base64url').toString('utf8')) as { challenge?: unknown })
      .challenge;
  } catch {
    return null;
  }
  if (typeof challenge !== 'string' || !B64URL.test(challenge)) return null;
  const response = { ...r, rawId: typeof r.rawId === 'string' ? r.rawId : r.id, clientExtensionResults: {} } as T;
  return { response, challenge };
}
