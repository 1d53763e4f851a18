import {
  AUTHENTICATOR_PENDING_MS,
  groupedKey,
  judgeTotp,
  otpauthUri,
  secretToBase32,
  TOTP_SECRET_BYTES,
} from '../../core/authenticator.ts';
import { normalizeCodeInput } from '../../core/reset-policy.ts';
import { err, ok, type Result } from '../../core/result.ts';
import type { AuthenticatorRecord } from '../../ports/authenticator-store.ts';
import type { Repos } from '../../ports/store.ts';
import { appendSelfEvent } from '../audit-context.ts';
import { checkOneTimeCode } from '../one-time-code.ts';
import type { RequestContext } from '../request-context.ts';
import type { Authenticated } from '../session-service.ts';
import { queueChangeNotices } from './messages.ts';
import type { SecurityInfoDeps } from './types.ts';

export type AuthenticatorError =
  /** An app is registered already: remove it first. */
  | 'authenticator_exists'
  /** Nothing waits for a first code in this session (or it waited too long). */
  | 'nothing_pending'
  | 'invalid_code'
  | 'code_malformed';

export interface AuthenticatorStatus {
  /** When the confirmed app was registered, or null when none is. */
  readonly confirmedAt: number | null;
}

/** What the registration page shows: the key to type and the URI its QR code carries. */
export interface AuthenticatorSetup {
  /** The base32 key, grouped by four for typing. */
  readonly key: string;
  readonly uri: string;
  readonly expiresAt: number;
}

/**
 * "My security info": the authenticator app (TOTP). Registering draws a 20-byte secret from the
 * Random port, seals it (Keyring) and keeps it pending, bound to the session, until a first code
 * proves the app reads it (the shared one-time-code check: attempts counted first, 5 per
 * registration, 30 minutes). The step of that code is the first accepted step, so the same code
 * cannot then pass a reset gate. Removing it notifies like other method changes. Audited
 * (`security_info.authenticator_*`, actor `self`).
 */
export class AuthenticatorRegistration {
  constructor(private readonly d: SecurityInfoDeps) {}

  async status(auth: Authenticated): Promise<AuthenticatorStatus> {
    const app = await this.d.store.authenticators.confirmed(auth.account.id);
    return { confirmedAt: app?.confirmedAt ?? null };
  }

  /** Starts a registration: a new secret (an earlier pending one is dropped). */
  async start(auth: Authenticated, rc: RequestContext): Promise<Result<AuthenticatorSetup, AuthenticatorError>> {
    const now = this.d.clock.now();
    const secret = secretToBase32(this.d.random.bytes(TOTP_SECRET_BYTES));
    return this.d.store.transaction(async (tx) => {
      if (await tx.authenticators.confirmed(auth.account.id)) return err('authenticator_exists');
      await tx.authenticators.createPending({
        id: this.d.random.uuid(),
        accountId: auth.account.id,
        secretSealed: this.d.keyring.seal(secret),
        sessionHash: auth.session.idHash,
        createdAt: now,
      });
      await appendSelfEvent(tx, auth.account, rc, now, 'security_info.authenticator_started', 'ok', {});
      return ok(this.setupOf(auth, secret, now));
    });
  }

  /** The registration of THIS session that waits for its first code, with its key and QR URI. */
  async pending(auth: Authenticated): Promise<AuthenticatorSetup | null> {
    const p = await this.livePending(this.d.store, auth, this.d.clock.now());
    return p ? this.setupOf(auth, this.d.keyring.open(p.secretSealed), p.createdAt) : null;
  }

  /** The first code from the app: confirms the registration. */
  async confirm(auth: Authenticated, input: string, rc: RequestContext): Promise<Result<true, AuthenticatorError>> {
    const typed = normalizeCodeInput(input);
    if (typed === null) return err('code_malformed');
    const now = this.d.clock.now();
    let woke = false;
    const result = await this.d.store.transaction(async (tx): Promise<Result<true, AuthenticatorError>> => {
      const p = await this.livePending(tx, auth, now);
      if (!p) {
        await appendSelfEvent(tx, auth.account, rc, now, 'security_info.rejected', 'no_pending', {
          kind: 'authenticator',
        });
        return err('nothing_pending');
      }
      const secret = this.d.keyring.open(p.secretSealed);
      let step: number | null = null;
      const checked = await checkOneTimeCode({
        typed,
        compare: (code) => {
          const verdict = judgeTotp(secret, code, now, null);
          if (verdict.ok) step = verdict.step;
          return verdict.ok;
        },
        maxAttempts: this.d.policy.maxAttemptsPerCode,
        fresh: now < p.createdAt + AUTHENTICATOR_PENDING_MS,
        countAttempt: () => tx.authenticators.countAttempt(p.id, this.d.policy.maxAttemptsPerCode),
        consume: async () => step !== null && tx.authenticators.confirm(p.id, step, now),
      });
      if (!checked.ok) {
        await appendSelfEvent(tx, auth.account, rc, now, 'security_info.rejected', checked.reason, {
          kind: 'authenticator',
          ...(checked.attempts !== null ? { attempts: checked.attempts } : {}),
        });
        return err('invalid_code');
      }
      await appendSelfEvent(tx, auth.account, rc, now, 'security_info.authenticator_added', 'ok', {});
      woke = (await this.notify(tx, auth, 'added', now, rc)) > 0;
      return ok(true);
    });
    if (woke) this.d.outbox.wake();
    return result;
  }

  /** Removes the registered app (and any pending registration); the account's addresses are told. */
  async remove(auth: Authenticated, rc: RequestContext): Promise<boolean> {
    const now = this.d.clock.now();
    let woke = false;
    const removed = await this.d.store.transaction(async (tx) => {
      if (!(await tx.authenticators.remove(auth.account.id))) return false;
      await appendSelfEvent(tx, auth.account, rc, now, 'security_info.authenticator_removed', 'ok', {});
      woke = (await this.notify(tx, auth, 'removed', now, rc)) > 0;
      return true;
    });
    if (woke) this.d.outbox.wake();
    return removed;
  }

  private async livePending(
    tx: Pick<Repos, 'authenticators'>,
    auth: Authenticated,
    now: number,
  ): Promise<AuthenticatorRecord | null> {
    const p = await tx.authenticators.pending(auth.account.id);
    if (!p || !this.d.keyring.equal(p.sessionHash, auth.session.idHash)) return null;
    if (now >= p.createdAt + AUTHENTICATOR_PENDING_MS) return null;
    return p;
  }

  private setupOf(auth: Authenticated, secret: string, createdAt: number): AuthenticatorSetup {
    return {
      key: groupedKey(secret),
      uri: otpauthUri(secret, auth.tenant.name, auth.account.login),
      expiresAt: createdAt + AUTHENTICATOR_PENDING_MS,
    };
  }

  /** "Your security info changed" to the sign-in address and the alternate email on file. */
  private async notify(
    tx: Repos,
    auth: Authenticated,
    change: 'added' | 'removed',
    now: number,
    rc: RequestContext,
  ): Promise<number> {
    const methods = await tx.directory.listMethods(auth.account.id);
    return queueChangeNotices(tx, this.d, auth, 'authenticator', change, null, methods, '', now, rc?.locale ?? null);
  }
}
