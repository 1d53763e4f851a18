import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { passkeyName } from '../../core/passkey.ts';
import { err, ok, type Result } from '../../core/result.ts';
import type { Repos } from '../../ports/store.ts';
import { appendSelfEvent } from '../audit-context.ts';
import { PasskeyCeremony } from '../passkey-ceremony.ts';
import type { RequestContext } from '../request-context.ts';
import type { Authenticated } from '../session-service.ts';
import { queueChangeNotices } from './messages.ts';
import type { SecurityInfoDeps } from './types.ts';

export type PasskeyError =
  /** No public URL is configured: there is no relying party to register with. */
  | 'passkeys_unavailable'
  /** The account has as many passkeys as it may. */
  | 'too_many_passkeys'
  /** The browser's answer does not prove a new passkey for this session's challenge. */
  | 'passkey_refused';

export interface PasskeyListItem {
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
}

/**
 * "My security info": passkeys (WebAuthn). `options` makes a challenge bound to the session (32
 * bytes, its HMAC stored, 5 minutes, one live per session), `register` takes the browser's answer:
 * the challenge is taken once, then `@simplewebauthn/server` checks origin, RP ID, user
 * verification and the attestation (`none` asked for), and the public key is stored per account.
 * Adding and removing notify the sign-in address and the alternate email like other method
 * changes. Audited (`security_info.passkey_*`, actor `self`).
 */
export class PasskeyRegistration {
  private readonly ceremony: PasskeyCeremony | null;

  constructor(private readonly d: SecurityInfoDeps) {
    this.ceremony = d.publicUrl ? new PasskeyCeremony(d, d.publicUrl) : null;
  }

  async list(auth: Authenticated): Promise<readonly PasskeyListItem[]> {
    return (await this.d.store.passkeys.list(auth.account.id)).map((k) => ({
      id: k.id,
      name: k.name,
      createdAt: k.createdAt,
      lastUsedAt: k.lastUsedAt,
    }));
  }

  /** The options for `navigator.credentials.create`, with a new challenge bound to this session. */
  async options(
    auth: Authenticated,
    rc: RequestContext,
  ): Promise<Result<PublicKeyCredentialCreationOptionsJSON, PasskeyError>> {
    const ceremony = this.ceremony;
    if (!ceremony) return err('passkeys_unavailable');
    const now = this.d.clock.now();
    return this.d.store.transaction(async (tx) => {
      const options = await ceremony.startRegistration(tx.passkeys, {
        rpName: auth.tenant.name,
        ownerId: auth.account.id,
        login: auth.account.login,
        displayName: auth.account.displayName,
        binding: auth.session.idHash,
        now,
      });
      if (!options) return err('too_many_passkeys');
      await appendSelfEvent(tx, auth.account, rc, now, 'security_info.passkey_started', 'ok', {});
      return ok(options);
    });
  }

  /** The browser's answer to this session's challenge: stores the new passkey under `nameInput`. */
  async register(
    auth: Authenticated,
    credentialJson: string,
    nameInput: string,
    fallbackName: string,
    rc: RequestContext,
  ): Promise<Result<PasskeyListItem, PasskeyError>> {
    const ceremony = this.ceremony;
    if (!ceremony) return err('passkeys_unavailable');
    const now = this.d.clock.now();
    let woke = false;
    const result = await this.d.store.transaction(async (tx): Promise<Result<PasskeyListItem, PasskeyError>> => {
      const done = await ceremony.finishRegistration(tx.passkeys, {
        credentialJson,
        binding: auth.session.idHash,
        ownerId: auth.account.id,
        name: passkeyName(nameInput, fallbackName),
        now,
      });
      if (!done.ok) {
        if (done.reason === 'too_many') return err('too_many_passkeys');
        await appendSelfEvent(tx, auth.account, rc, now, 'security_info.rejected', done.reason, { kind: 'passkey' });
        return err('passkey_refused');
      }
      const item = { id: done.passkey.id, name: done.passkey.name, createdAt: now, lastUsedAt: null };
      await appendSelfEvent(tx, auth.account, rc, now, 'security_info.passkey_added', 'ok', {
        passkey: item.id.slice(0, 8),
      });
      woke = (await this.notify(tx, auth, 'added', now, rc)) > 0;
      return ok(item);
    });
    if (woke) this.d.outbox.wake();
    return result;
  }

  /** Removes one of the account's passkeys; the account's addresses are told. */
  async remove(auth: Authenticated, id: string, rc: RequestContext): Promise<boolean> {
    const now = this.d.clock.now();
    let woke = false;
    const removed = await this.d.store.transaction(async (tx) => {
      if (!(await tx.passkeys.remove(auth.account.id, id))) return false;
      await appendSelfEvent(tx, auth.account, rc, now, 'security_info.passkey_removed', 'ok', {
        passkey: id.slice(0, 8),
      });
      woke = (await this.notify(tx, auth, 'removed', now, rc)) > 0;
      return true;
    });
    if (woke) this.d.outbox.wake();
    return removed;
  }

  private async notify(
    tx: Repos,
    auth: Authenticated,
    change: 'added' | 'removed',
    now: number,
    rc: RequestContext,
  ): Promise<number> {
    const methods = await tx.directory.listMethods(auth.account.id);
    return queueChangeNotices(tx, this.d, auth, 'passkey', change, null, methods, '', now, rc?.locale ?? null);
  }
}
