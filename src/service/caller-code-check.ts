import { actorName, canView, type Actor } from '../core/admin-rules.ts';
import { judgeTotp } from '../core/authenticator.ts';
import { acceptsTypedCode, CALLER_CODE_MAX_ATTEMPTS, CALLER_VERIFIED_MS } from '../core/caller-verification.ts';
import { DEFAULT_TENANT_POLICY } from '../core/directory-model.ts';
import { normalizeCodeInput } from '../core/reset-policy.ts';
import { err, ok, type Result } from '../core/result.ts';
import { isUsableForReset } from '../core/security-info-policy.ts';
import type { Clock } from '../ports/clock.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { Store } from '../ports/store.ts';
import { auditCaller, deny } from './admin-common.ts';
import type { ConfirmError } from './caller-verification-service.ts';
import { checkOneTimeCode } from './one-time-code.ts';
import type { RequestContext } from './request-context.ts';
import { strongMethodsUsable } from './reset/strong-method-cooling.ts';

// The confirming half of the help desk's caller verification (CallerVerificationService.confirm).

export interface CallerCodeCheckDeps {
  readonly store: Store;
  readonly keyring: Keyring;
  readonly clock: Clock;
}

/**
 * Checks the code the caller read back to the agent: the code `start` sent (its HMAC), or the
 * account's authenticator app's current code once out of its cooling-off; counted before comparing,
 * both comparisons in constant time, at most CALLER_CODE_MAX_ATTEMPTS, once (`checkOneTimeCode`).
 * A passkey verification passes only on the caller's page, never by a typed code. Audited either way.
 */
export async function confirmCallerCode(
  d: CallerCodeCheckDeps,
  actor: Actor,
  accountId: string,
  input: string,
  rc: RequestContext,
): Promise<Result<{ until: number }, ConfirmError>> {
  const target = await d.store.directory.getAccount(accountId);
  if (!target) return err('account_not_found');
  const denial = canView(actor, target, 'resets:write');
  if (denial) return deny(d, actor, target, 'verify_caller', denial, rc);
  const typed = normalizeCodeInput(input);
  const now = d.clock.now();
  return d.store.transaction(async (tx): Promise<Result<{ until: number }, ConfirmError>> => {
    const v = await tx.callerChecks.latestVerification(actorName(actor), target.id);
    if (!v || v.verifiedAt !== null || !acceptsTypedCode(v.way)) {
      // a passkey verification passes only on the caller's page, never by a typed code
      await auditCaller(tx, actor, target, rc, now, 'caller.verification_failed', 'nothing_pending', {
        way: v?.way ?? null,
      });
      return err('nothing_pending');
    }
    if (typed === null) {
      await auditCaller(tx, actor, target, rc, now, 'caller.verification_failed', 'code_malformed', {});
      return err('code_malformed');
    }
    const app = await tx.authenticators.confirmed(target.id);
    // an app added while the owner had another way in waits out its cooling-off (the one rule, core
    // coolingOffUntil) here as at the reset gates and in the passkey way: its code verifies nobody yet
    const tenant = app ? await tx.directory.getTenant(target.tenantId) : null;
    const appCoolingUntil = app
      ? (await strongMethodsUsable(tx, target.id, tenant?.policy ?? DEFAULT_TENANT_POLICY)).authenticator
      : null;
    const appUsable = isUsableForReset(appCoolingUntil, now);
    let step: number | null = null;
    let coolingCode = false;
    const checked = await checkOneTimeCode({
      typed,
      compare: (code) => {
        // both comparisons always run: the sent code's HMAC and the app's TOTP (constant time each)
        const sent = v.codeHash !== null && d.keyring.matches('caller-code', `${v.id}:${code}`, v.codeHash);
        const totp = app ? judgeTotp(d.keyring.open(app.secretSealed), code, now, app.lastStep) : null;
        if (!sent && totp?.ok && !appUsable) coolingCode = true;
        const totpOk = totp?.ok === true && appUsable;
        if (!sent && totpOk && totp?.ok) step = totp.step;
        return sent || totpOk;
      },
      maxAttempts: CALLER_CODE_MAX_ATTEMPTS,
      fresh: now < v.expiresAt,
      countAttempt: () => tx.callerChecks.countAttempt(v.id, CALLER_CODE_MAX_ATTEMPTS),
      consume: async () => {
        if (step !== null && app && !(await tx.authenticators.acceptStep(app.id, step))) return false;
        return tx.callerChecks.markVerified(v.id, now);
      },
    });
    if (!checked.ok) {
      const reason = coolingCode ? 'cooling_off' : checked.reason;
      await auditCaller(tx, actor, target, rc, now, 'caller.verification_failed', reason, {
        attempts: checked.attempts ?? CALLER_CODE_MAX_ATTEMPTS,
        ...(coolingCode ? { until: appCoolingUntil } : {}),
      });
      return err('invalid_code');
    }
    await auditCaller(tx, actor, target, rc, now, 'caller.verified', 'ok', {
      via: step !== null ? 'authenticator' : 'code',
    });
    return ok({ until: now + CALLER_VERIFIED_MS });
  });
}
