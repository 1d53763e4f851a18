import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { judgeCounter, PASSKEY_CHALLENGE_MS } from '../../core/passkey.ts';
import { passkeyAllowed } from '../../core/reset-flow.ts';
import { err, ok, type Result } from '../../core/result.ts';
import type { Clock } from '../../ports/clock.ts';
import type { Keyring } from '../../ports/keyring.ts';
import type { Random } from '../../ports/random.ts';
import { PasskeyCeremony, readCredentialJson } from '../passkey-ceremony.ts';
import { DEFAULT_TENANT_POLICY } from '../../core/directory-model.ts';
import { isUsableForReset } from '../../core/security-info-policy.ts';
import { strongMethodsUsable } from './strong-method-cooling.ts';
import type { RequestContext } from '../request-context.ts';
import { auditFlow, positionOf, type FlowAccess } from './flow-access.ts';
import type { FlowHandle, StepError, StepOk } from './types.ts';
import type { FlowViews } from './view.ts';

/**
 * The passkey gate of a reset. `options` makes the challenge for the flow's passkey page (32
 * bytes, its HMAC stored, bound to the flow, 5 minutes, one live per flow; the options name no
 * credential, so the page reveals nothing about the login). `submit` takes the browser's
 * assertion: the challenge is taken once (a replayed assertion finds it used, or bound to another
 * flow), the credential must be one of the flow's account's passkeys, `@simplewebauthn/server`
 * checks origin, RP ID, user verification and the signature, then core `judgeCounter` the
 * signature counter and the store advances it compare-and-set (one assertion passes once). Every
 * refusal is audited (`passkey.rejected` with its reason) and answers `passkey_refused`.
 */
export class PasskeyCheck {
  private readonly ceremony: PasskeyCeremony;

  constructor(
    private readonly d: {
      readonly keyring: Keyring;
      readonly random: Random;
      readonly clock: Clock;
      readonly publicUrl: string;
    },
    private readonly parts: { readonly flows: FlowAccess; readonly views: FlowViews },
  ) {
    this.ceremony = new PasskeyCeremony(d, d.publicUrl);
  }

  async options(handle: FlowHandle): Promise<Result<PublicKeyCredentialRequestOptionsJSON, StepError>> {
    const now = this.d.clock.now();
    return this.parts.flows.step(async (tx) => {
      const access = await this.parts.flows.access(tx, handle);
      if (!access.ok) return access;
      if (access.value.state !== 'passkey_check') return err('wrong_step');
      const options = await this.ceremony.authenticationOptions();
      await tx.passkeys.createChallenge({
        id: this.d.random.uuid(),
        challengeHash: this.ceremony.challengeHash(options.challenge),
        purpose: 'reset',
        binding: access.value.id,
        accountId: null,
        createdAt: now,
        expiresAt: now + PASSKEY_CHALLENGE_MS,
      });
      return ok(options);
    });
  }

  async submit(handle: FlowHandle, credentialJson: string, rc: RequestContext): Promise<Result<StepOk, StepError>> {
    const now = this.d.clock.now();
    const { flows, views } = this.parts;
    return flows.step(async (tx): Promise<Result<StepOk, StepError>> => {
      const access = await flows.access(tx, handle);
      if (!access.ok) return access;
      const flow = access.value;
      if (flow.state !== 'passkey_check') return err('wrong_step');
      const refuse = async (reason: string, extra: Record<string, string | number> = {}) => {
        await auditFlow(tx, flow, rc, now, 'passkey.rejected', reason, extra);
        return err('passkey_refused' as const);
      };
      const read = readCredentialJson<AuthenticationResponseJSON>(credentialJson, 'reset');
      if (!read) return refuse('malformed');
      const challenge = await tx.passkeys.takeChallenge(
        this.ceremony.challengeHash(read.challenge),
        'reset',
        flow.id,
        now,
      );
      if (!challenge) return refuse('challenge_unknown');
      if (!passkeyAllowed(positionOf(flow))) return refuse('gate_closed');
      const passkey = await tx.passkeys.byCredentialId(read.response.id);
      if (!passkey || flow.accountId === null || passkey.accountId !== flow.accountId) {
        return refuse('not_registered');
      }
      const checked = await this.ceremony.verifyAssertion(read.response, read.challenge, passkey);
      if (!checked) return refuse('not_verified');
      const counter = judgeCounter(passkey.counter, checked.newCounter);
      if (!counter.ok) {
        return refuse(counter.reason, { stored: passkey.counter, received: checked.newCounter });
      }
      if (!(await tx.passkeys.advanceCounter(passkey.id, passkey.counter, checked.newCounter, now))) {
        // another request with an assertion of the same counter won: a replay
        return refuse('counter_not_increasing', { stored: passkey.counter, received: checked.newCounter });
      }
      // the person holds the passkey; one added while they had other ways in waits out its
      // cooling-off (core coolingOffUntil) before it passes a gate: the page says until when
      const tenant = flow.tenantId ? await tx.directory.getTenant(flow.tenantId) : null;
      const usable = await strongMethodsUsable(tx, passkey.accountId, tenant?.policy ?? DEFAULT_TENANT_POLICY);
      const cooling = usable.passkeys.get(passkey.id) ?? null;
      if (!isUsableForReset(cooling, now)) {
        await auditFlow(tx, flow, rc, now, 'passkey.rejected', 'cooling_off', {
          passkey: passkey.id.slice(0, 8),
          until: cooling!,
        });
        return err('method_cooling_off' as const, String(cooling));
      }
      const passed = await flows.advance(tx, flow, 'passkey_verified', now);
      if (!passed.ok) return passed;
      await auditFlow(tx, passed.value.flow, rc, now, 'passkey.accepted', 'ok', { passkey: passkey.id.slice(0, 8) });
      return ok({ secret: passed.value.secret, view: await views.viewOf(tx, passed.value.flow) });
    });
  }
}
