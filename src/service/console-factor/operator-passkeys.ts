import type { PublicKeyCredentialCreationOptionsJSON } from '@simplewebauthn/server';
import { passkeyName } from '../../core/passkey.ts';
import { err, ok, type Result } from '../../core/result.ts';
import type { ConsoleFactorDeps, ConsoleFactorService } from '../console-factor-service.ts';
import type { OperatorAuth } from '../operator-service.ts';
import type { RequestContext } from '../request-context.ts';

export type OperatorPasskeyError = 'too_many_passkeys' | 'passkey_refused';

export interface OperatorPasskeyItem {
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
}

/**
 * A Technical Support operator's passkeys for the support console's second step (issue 13 item 4),
 * registered from the console's security page with the accounts' ceremony
 * (`PasskeyCeremony.startRegistration` / `finishRegistration`: a challenge bound to the operator's
 * session, user verification required, the credential new) and kept in the operators' own table.
 * Audited as the operator's (`console.factor_registered` with `passkey`, `console.factor_removed`).
 */
export class OperatorPasskeys {
  constructor(
    private readonly d: ConsoleFactorDeps,
    private readonly service: ConsoleFactorService,
  ) {}

  async list(auth: OperatorAuth): Promise<readonly OperatorPasskeyItem[]> {
    return (await this.d.store.operatorPasskeys.list(auth.operator.id)).map((k) => ({
      id: k.id,
      name: k.name,
      createdAt: k.createdAt,
      lastUsedAt: k.lastUsedAt,
    }));
  }

  /** The options for `navigator.credentials.create`, with a new challenge bound to this session. */
  async options(auth: OperatorAuth): Promise<Result<PublicKeyCredentialCreationOptionsJSON, 'too_many_passkeys'>> {
    const now = this.d.clock.now();
    return this.d.store.transaction(async (tx) => {
      const options = await this.service.ceremony.startRegistration(tx.operatorPasskeys, {
        rpName: 'sspr Technical Support',
        ownerId: auth.operator.id,
        login: auth.operator.login,
        displayName: auth.operator.displayName,
        binding: auth.session.idHash,
        now,
      });
      return options ? ok(options) : err('too_many_passkeys');
    });
  }

  /** The browser's answer to this session's challenge: the operator's new passkey under `nameInput`. */
  async register(
    auth: OperatorAuth,
    credentialJson: string,
    nameInput: string,
    fallbackName: string,
    rc: RequestContext,
  ): Promise<Result<OperatorPasskeyItem, OperatorPasskeyError>> {
    const now = this.d.clock.now();
    const who = { account: null, operator: auth.operator };
    return this.d.store.transaction(async (tx): Promise<Result<OperatorPasskeyItem, OperatorPasskeyError>> => {
      const done = await this.service.ceremony.finishRegistration(tx.operatorPasskeys, {
        credentialJson,
        binding: auth.session.idHash,
        ownerId: auth.operator.id,
        name: passkeyName(nameInput, fallbackName),
        now,
      });
      if (!done.ok) {
        if (done.reason === 'too_many') return err('too_many_passkeys');
        await this.service.audit(tx, who, rc, now, 'console.second_factor_failed', done.reason, {
          how: 'passkey_registration',
        });
        return err('passkey_refused');
      }
      await this.service.audit(tx, who, rc, now, 'console.factor_registered', 'passkey', {
        passkey: done.passkey.id.slice(0, 8),
      });
      const { id, name, createdAt, lastUsedAt } = done.passkey;
      return ok({ id, name, createdAt, lastUsedAt });
    });
  }

  /** Removes one of the operator's passkeys (the app or another passkey or the recovery codes remain). */
  async remove(auth: OperatorAuth, id: string, rc: RequestContext): Promise<boolean> {
    const now = this.d.clock.now();
    return this.d.store.transaction(async (tx) => {
      if (!(await tx.operatorPasskeys.remove(auth.operator.id, id))) return false;
      await this.service.audit(
        tx,
        { account: null, operator: auth.operator },
        rc,
        now,
        'console.factor_removed',
        'passkey',
        {
          passkey: id.slice(0, 8),
        },
      );
      return true;
    });
  }
}
