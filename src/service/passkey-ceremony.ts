import type * as SimpleWebAuthn from '@simplewebauthn/server';
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransport,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import {
  judgeCounter,
  MAX_PASSKEYS_PER_ACCOUNT,
  PASSKEY_CHALLENGE_BYTES,
  PASSKEY_CHALLENGE_MS,
  relyingParty,
} from '../core/passkey.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { PasskeyRecord, PasskeyRepo } from '../ports/passkey-store.ts';
import type { Random } from '../ports/random.ts';

/**
 * `@simplewebauthn/server` (with its ASN.1 and X.509 packages: ~180 modules, ~4 MiB of heap),
 * loaded by the first ceremony, once, not when the service starts: a process that never sees a
 * passkey never holds it.
 */
let webauthnLoaded: Promise<typeof SimpleWebAuthn> | null = null;
const webauthn = (): Promise<typeof SimpleWebAuthn> => (webauthnLoaded ??= import('@simplewebauthn/server'));

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
    const { generateRegistrationOptions } = await webauthn();
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
    const { generateAuthenticationOptions } = await webauthn();
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
    const { verifyRegistrationResponse } = await webauthn();
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
    const { verifyAuthenticationResponse } = await webauthn();
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
  /**
   * Starts a registration for `owner` (an account or an operator, `repo` holding its kind's
   * passkeys): the options, their challenge stored as an HMAC bound to `binding` (the owner's
   * session), 5 minutes, one live per binding. Null when the owner has as many passkeys as it may.
   */
  async startRegistration(
    repo: PasskeyRepo,
    p: { rpName: string; ownerId: string; login: string; displayName: string; binding: string; now: number },
  ): Promise<PublicKeyCredentialCreationOptionsJSON | null> {
    const existing = await repo.list(p.ownerId);
    if (existing.length >= MAX_PASSKEYS_PER_ACCOUNT) return null;
    const options = await this.registrationOptions({
      rpName: p.rpName,
      accountId: p.ownerId,
      login: p.login,
      displayName: p.displayName,
      existing,
    });
    await repo.createChallenge({
      id: this.d.random.uuid(),
      challengeHash: this.challengeHash(options.challenge),
      purpose: 'register',
      binding: p.binding,
      accountId: p.ownerId,
      createdAt: p.now,
      expiresAt: p.now + PASSKEY_CHALLENGE_MS,
    });
    return options;
  }

  /**
   * The browser's answer to the challenge `startRegistration` bound to `binding`: the challenge
   * taken once (and made for this owner), the attestation checked by the library, the credential
   * new in `repo`; the stored passkey, or why not (the caller audits the reason).
   */
  async finishRegistration(
    repo: PasskeyRepo,
    p: { credentialJson: string; binding: string; ownerId: string; name: string; now: number },
  ): Promise<{ ok: true; passkey: PasskeyRecord } | { ok: false; reason: PasskeyRegistrationRefusal }> {
    const read = readCredentialJson<RegistrationResponseJSON>(p.credentialJson, 'register');
    if (!read) return { ok: false, reason: 'malformed' };
    const challenge = await repo.takeChallenge(this.challengeHash(read.challenge), 'register', p.binding, p.now);
    if (!challenge || challenge.accountId !== p.ownerId) return { ok: false, reason: 'challenge_unknown' };
    if ((await repo.list(p.ownerId)).length >= MAX_PASSKEYS_PER_ACCOUNT) return { ok: false, reason: 'too_many' };
    const checked = await this.verifyRegistration(read.response, read.challenge);
    if (!checked) return { ok: false, reason: 'not_verified' };
    if (await repo.byCredentialId(checked.credentialId)) return { ok: false, reason: 'already_registered' };
    const passkey: PasskeyRecord = {
      id: this.d.random.uuid(),
      accountId: p.ownerId,
      ...checked,
      name: p.name,
      createdAt: p.now,
      lastUsedAt: null,
    };
    await repo.add(passkey);
    return { ok: true, passkey };
  }

  /**
   * An assertion answering a sign-in challenge bound to `binding` (a pending console sign-in): the
   * challenge taken once, the credential one of `ownerId`'s in `repo` (an account's passkey is not
   * in the operators' table, nor the other way round), origin, RP ID, user verification, signature,
   * and a counter that went up (core `judgeCounter`), advanced compare-and-set. Null when it
   * passed; else why not (the caller audits it).
   */
  async checkSignin(
    repo: PasskeyRepo,
    p: { credentialJson: string; binding: string; ownerId: string; now: number },
  ): Promise<string | null> {
    const read = readCredentialJson<AuthenticationResponseJSON>(p.credentialJson, 'reset');
    if (!read) return 'malformed';
    const challenge = await repo.takeChallenge(this.challengeHash(read.challenge), 'signin', p.binding, p.now);
    if (!challenge) return 'challenge_unknown';
    const passkey = await repo.byCredentialId(read.response.id);
    if (!passkey || passkey.accountId !== p.ownerId) return 'not_registered';
    const checked = await this.verifyAssertion(read.response, read.challenge, passkey);
    if (!checked) return 'not_verified';
    const counter = judgeCounter(passkey.counter, checked.newCounter);
    if (!counter.ok) return counter.reason;
    if (!(await repo.advanceCounter(passkey.id, passkey.counter, checked.newCounter, p.now))) {
      return 'counter_not_increasing';
    }
    return null;
  }
}

/** Why a registration was refused (audited; the page says it did not work). */
export type PasskeyRegistrationRefusal =
  | 'malformed'
  | 'challenge_unknown'
  | 'too_many'
  | 'not_verified'
  | 'already_registered';

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
