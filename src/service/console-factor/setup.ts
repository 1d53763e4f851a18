import {
  AUTHENTICATOR_PENDING_MS,
  groupedKey,
  judgeTotp,
  otpauthUri,
  secretToBase32,
  TOTP_SECRET_BYTES,
} from '../../core/authenticator.ts';
import {
  CONSOLE_FACTOR_MAX_ATTEMPTS,
  formatRecoveryCode,
  RECOVERY_CODE_COUNT,
  RECOVERY_CODE_ALPHABET,
  RECOVERY_CODE_LENGTH,
  recoveryCodeOf,
} from '../../core/console-factor.ts';
import { helpText, renderEmail } from '../../core/message-templates.ts';
import { normalizeCodeInput } from '../../core/reset-policy.ts';
import { err, ok, type Result } from '../../core/result.ts';
import type { AuthenticatorRecord } from '../../ports/authenticator-store.ts';
import type { ConsoleOwner } from '../../ports/console-factor-store.ts';
import type { Repos } from '../../ports/store.ts';
import type {
  ConsoleFactorDeps,
  ConsoleFactorService,
  ConsoleSignedIn,
  PendingConsole,
  SecondStepError,
} from '../console-factor-service.ts';
import { enqueueEmail } from '../message-queue.ts';
import { messageLanguage } from '../message-language.ts';
import { checkOneTimeCode } from '../one-time-code.ts';
import type { RequestContext } from '../request-context.ts';

/** What the first-sign-in registration page shows: the key to type and the URI its QR code carries. */
export interface ConsoleFactorSetupView {
  readonly key: string;
  readonly uri: string;
  readonly expiresAt: number;
}

/**
 * The first console sign-in of someone without a second factor: during the pending sign-in they
 * register an authenticator app (a sealed 20-byte secret bound to the pending sign-in, confirmed
 * by a first code through the shared check: 5 attempts, 30 minutes, its step then used), receive
 * ten recovery codes (shown once, stored as HMACs) and are signed in. Also the regeneration of
 * recovery codes from a console session, which voids the old set.
 */
export class ConsoleFactorSetup {
  constructor(
    private readonly d: ConsoleFactorDeps,
    private readonly service: ConsoleFactorService,
  ) {}

  /** Starts (or restarts) the registration of an authenticator app for the pending sign-in's owner. */
  async start(
    token: string,
    kind: ConsoleOwner['kind'],
    rc: RequestContext,
  ): Promise<Result<ConsoleFactorSetupView, SecondStepError>> {
    const now = this.d.clock.now();
    const secret = secretToBase32(this.d.random.bytes(TOTP_SECRET_BYTES));
    return this.d.store.transaction(async (tx) => {
      const p = await this.service.pendingIn(tx, token, kind, now);
      if (!p) return err('pending_unknown');
      if (p.has.authenticator || p.has.passkey) return err('factor_exists');
      await this.service.apps(tx, kind).createPending({
        id: this.d.random.uuid(),
        accountId: p.pending.owner.id,
        secretSealed: this.d.keyring.seal(secret),
        sessionHash: p.pending.idHash,
        createdAt: now,
      });
      await this.service.audit(tx, p, rc, now, 'console.factor_registration_started', 'ok', {});
      return ok(this.viewOf(p, secret, now));
    });
  }

  /** The registration this pending sign-in started, if it still waits for its first code. */
  async view(token: string, kind: ConsoleOwner['kind']): Promise<ConsoleFactorSetupView | null> {
    const now = this.d.clock.now();
    const p = await this.service.pendingIn(this.d.store, token, kind, now);
    if (!p) return null;
    const pending = await this.livePending(this.d.store, p, now);
    return pending ? this.viewOf(p, this.d.keyring.open(pending.secretSealed), pending.createdAt) : null;
  }

  /** The app's first code: the app is registered, ten recovery codes issued, and the owner signed in. */
  async confirm(
    token: string,
    kind: ConsoleOwner['kind'],
    input: string,
    rc: RequestContext,
  ): Promise<Result<ConsoleSignedIn & { readonly recoveryCodes: readonly string[] }, SecondStepError>> {
    const typed = normalizeCodeInput(input);
    const now = this.d.clock.now();
    const codes = this.drawCodes();
    const result = await this.d.store.transaction(async (tx) => {
      const p = await this.service.pendingIn(tx, token, kind, now);
      if (!p) return err('pending_unknown');
      if (typed === null) return err('code_malformed');
      const reg = await this.livePending(tx, p, now);
      if (!reg) return err('nothing_pending');
      const apps = this.service.apps(tx, kind);
      const secret = this.d.keyring.open(reg.secretSealed);
      let step: number | null = null;
      const checked = await checkOneTimeCode({
        typed,
        compare: (code) => {
          const verdict = judgeTotp(secret, code, now, null);
          if (verdict.ok) step = verdict.step;
          return verdict.ok;
        },
        maxAttempts: CONSOLE_FACTOR_MAX_ATTEMPTS,
        fresh: now < reg.createdAt + AUTHENTICATOR_PENDING_MS,
        countAttempt: () => apps.countAttempt(reg.id, CONSOLE_FACTOR_MAX_ATTEMPTS),
        consume: async () => step !== null && apps.confirm(reg.id, step, now),
      });
      if (!checked.ok) {
        await this.service.audit(tx, p, rc, now, 'console.second_factor_failed', checked.reason, {
          how: 'registration',
        });
        return err(checked.reason === 'attempts_exhausted' ? 'attempts_exhausted' : 'invalid_code');
      }
      await this.service.audit(tx, p, rc, now, 'console.factor_registered', 'authenticator', {});
      await this.store(tx, p.pending.owner, codes, now);
      await this.service.audit(tx, p, rc, now, 'console.recovery_codes_issued', 'ok', { count: codes.length });
      const signedIn = await this.service.complete(tx, p, rc, now, 'authenticator');
      return signedIn.ok ? ok({ ...signedIn.value, recoveryCodes: codes.map(formatRecoveryCode) }) : signedIn;
    });
    if (result.ok) this.d.outbox.wake();
    return result;
  }

  /**
   * A new set of ten recovery codes for a signed-in console user (the old set, used or not, stops
   * working); shown once.
   */
  async regenerate(
    owner: ConsoleOwner,
    subject: Pick<PendingConsole, 'account' | 'operator'>,
    rc: RequestContext,
  ): Promise<readonly string[]> {
    const now = this.d.clock.now();
    const codes = this.drawCodes();
    await this.d.store.transaction(async (tx) => {
      await this.store(tx, owner, codes, now);
      await this.service.audit(tx, subject, rc, now, 'console.recovery_codes_issued', 'regenerated', {
        count: codes.length,
      });
    });
    return codes.map(formatRecoveryCode);
  }

  recoveryCodesLeft(owner: ConsoleOwner): Promise<number> {
    return this.d.store.consoleFactors.recoveryCodesLeft(owner);
  }

  private drawCodes(): string[] {
    const codes: string[] = [];
    while (codes.length < RECOVERY_CODE_COUNT) {
      const idx = Array.from({ length: RECOVERY_CODE_LENGTH }, () =>
        this.d.random.intBelow(RECOVERY_CODE_ALPHABET.length),
      );
      const code = recoveryCodeOf(idx);
      if (!codes.includes(code)) codes.push(code);
    }
    return codes;
  }

  private async store(tx: Repos, owner: ConsoleOwner, codes: readonly string[], now: number): Promise<void> {
    await tx.consoleFactors.replaceRecoveryCodes(
      owner,
      codes.map((c) => this.service.recoveryHash(owner, c)),
      now,
    );
  }

  private async livePending(tx: Repos, p: PendingConsole, now: number): Promise<AuthenticatorRecord | null> {
    const reg = await this.service.apps(tx, p.pending.owner.kind).pending(p.pending.owner.id);
    if (!reg || !this.d.keyring.equal(reg.sessionHash, p.pending.idHash)) return null;
    return now < reg.createdAt + AUTHENTICATOR_PENDING_MS ? reg : null;
  }

  private viewOf(p: PendingConsole, secret: string, createdAt: number): ConsoleFactorSetupView {
    const issuer = p.tenant ? p.tenant.name : 'sspr Technical Support';
    return {
      key: groupedKey(secret),
      uri: otpauthUri(secret, issuer, p.login),
      expiresAt: createdAt + AUTHENTICATOR_PENDING_MS,
    };
  }
}

/** "A recovery code was used to sign in" to the account's sign-in address and alternate email (operators have none). */
export async function queueRecoveryNotice(
  tx: Repos,
  d: Pick<ConsoleFactorDeps, 'keyring' | 'random'>,
  p: PendingConsole,
  now: number,
  rc: RequestContext,
): Promise<number> {
  const account = p.account;
  const tenant = p.tenant;
  if (!account || !tenant) return 0;
  const methods = await tx.directory.listMethods(account.id);
  const alternate = methods.find((m) => m.kind === 'email' && m.verifiedAt !== null)?.value ?? null;
  const recipients = [account.login, alternate].filter(
    (to, i, all): to is string => to !== null && all.indexOf(to) === i,
  );
  const { locale, timeZone } = await messageLanguage(tx, tenant.id, {
    saved: account.locale ?? null,
    page: rc.locale ?? null,
  });
  const left = await tx.consoleFactors.recoveryCodesLeft(p.pending.owner);
  const content = renderEmail(
    'console.recovery-code-used',
    {
      displayName: account.displayName,
      login: account.login,
      when: new Date(now).toISOString(),
      ip: rc.ip ?? 'unknown',
      left,
      helpText: helpText(tenant.policy, locale),
    },
    locale,
    timeZone,
  );
  for (const to of recipients) {
    await enqueueEmail(tx, d, {
      tenantId: tenant.id,
      accountId: account.id,
      template: 'console.recovery-code-used',
      expiresAt: null,
      now,
      to,
      content,
    });
  }
  return recipients.length;
}
