/**
 * Storage of passkeys (WebAuthn credentials) and of the challenges their ceremonies answer. A
 * passkey's public key is stored per account (a public key is no secret; the private key never
 * leaves the authenticator). A challenge is stored only as an HMAC, bound to what asked for it
 * (the session that registers, the reset flow that verifies), and taken once: `takeChallenge` is
 * one conditional statement, so one challenge passes one request also under parallel submits.
 * `advanceCounter` is compare-and-set on the stored counter, so one assertion counts once.
 */
export interface PasskeyRecord {
  readonly id: string;
  readonly accountId: string;
  /** The credential id (base64url), unique across accounts. */
  readonly credentialId: string;
  /** The COSE public key (base64url). */
  readonly publicKey: string;
  /** The last signature counter accepted (0: the authenticator reports none). */
  readonly counter: number;
  /** Transports the browser reported (`internal`, `usb`, `hybrid`, ...). */
  readonly transports: readonly string[];
  readonly name: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
}

export type NewPasskey = Omit<PasskeyRecord, 'lastUsedAt'>;

/** `caller`: the help desk's caller verification by passkey, bound to the verification's id. */
export type ChallengePurpose = 'register' | 'reset' | 'signin' | 'caller';

export interface PasskeyChallengeRecord {
  readonly id: string;
  /** HMAC of the challenge (the Keyring's, purpose `passkey-challenge`). */
  readonly challengeHash: string;
  readonly purpose: ChallengePurpose;
  /** What the challenge is bound to: the session's `idHash` (register), the flow's id (reset), the caller verification's id (caller). */
  readonly binding: string;
  /** The account it was made for (register), or null (reset: the flow says whose passkey passes). */
  readonly accountId: string | null;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly usedAt: number | null;
}

export type NewPasskeyChallenge = Omit<PasskeyChallengeRecord, 'usedAt'>;

export interface PasskeyRepo {
  /** Stores a registered passkey. */
  add(p: NewPasskey): Promise<void>;
  /** The account's passkeys, oldest first. */
  list(accountId: string): Promise<readonly PasskeyRecord[]>;
  /** The passkey with this credential id, whoever's it is. */
  byCredentialId(credentialId: string): Promise<PasskeyRecord | null>;
  /**
   * Records an accepted assertion: the counter goes from `from` to `to`, only if it is still
   * `from` (compare-and-set); true for exactly one caller.
   */
  advanceCounter(id: string, from: number, to: number, now: number): Promise<boolean>;
  /** Removes one passkey of the account; true when it was there. */
  remove(accountId: string, id: string): Promise<boolean>;
  /**
   * Stores a new challenge; earlier challenges of the same purpose and binding are deleted (one
   * live challenge per session or flow), and so are challenges that ended a day ago.
   */
  createChallenge(c: NewPasskeyChallenge): Promise<void>;
  /**
   * Takes a live challenge once: the one with this hash, purpose and binding, unused and not
   * expired at `now`, is marked used and returned; null for every other request.
   */
  takeChallenge(
    challengeHash: string,
    purpose: ChallengePurpose,
    binding: string,
    now: number,
  ): Promise<PasskeyChallengeRecord | null>;
}
