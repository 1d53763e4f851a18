import { isDirectoryWriteError, type DirectoryWriteError } from '../core/directory-refusals.ts';
import { actorDescription, actorName, canManageCredentials, type Actor, type Denial } from '../core/admin-rules.ts';
import { checkPassword, PASSWORD_MIN_LENGTH_FLOOR, personalWords } from '../core/password-policy.ts';
import type { PasswordHasher } from '../ports/password-hasher.ts';
import type { Random } from '../ports/random.ts';
import { CredentialChange } from './credential-change.ts';
import type { Account } from '../core/directory-model.ts';
import { helpText, noticePhrase, renderEmail } from '../core/message-templates.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { Store } from '../ports/store.ts';
import { auditChange, deny, emailAccount, notifyAdminsOfReset, type NoticeDeps } from './admin-common.ts';
import { ASSISTED_LINK_TTL_MS } from './assisted-reset-service.ts';
import type { RequestContext } from './request-context.ts';
import type { CallerGate } from './caller-verification-service.ts';
import type { CallerRefusal } from '../core/caller-verification.ts';
import { messageLanguage } from './message-language.ts';

/**
 * Admin-assisted resets: a one-time link (24 h) sent to the person's verified alternate email and
 * login address (redeemed by `AssistedResetService`), or a temporary password (24 h, set through
 * the one credential change). Every self-service reset of the account ends; every other admin is told.
 */
export interface AssistedLinksDeps extends NoticeDeps {
  /** The whole store: the temporary password goes through the one credential change. */
  readonly store: Store;
  readonly hasher: PasswordHasher;
  /** Links in emails are built from this, never from a request's Host header. */
  readonly publicUrl: string;
  /** The caller verification every assisted reset needs first (core/caller-verification.ts). */
  readonly callers?: CallerGate;
}

export type AssistedResetMode = 'link' | 'temp_password';
export type AssistedResetOutcome =
  | { readonly mode: 'link'; readonly expiresAt: number }
  | { readonly mode: 'temp_password'; readonly tempPassword: string; readonly expiresAt: number };
export type AssistedResetError =
  | Denial
  | CallerRefusal
  | 'account_not_found'
  | 'no_methods'
  | 'mode_not_allowed'
  | DirectoryWriteError;

export class AssistedLinks {
  constructor(private readonly d: AssistedLinksDeps) {}

  /**
   * Resets another person's password: a one-time link (24 h) sent to their registered alternate
   * email and their login address, or a temporary password (24 h, must be changed at the next
   * sign-in) returned once to the caller and stored only as a hash. The person and every other
   * admin of the tenant are notified; nobody resets themselves; only a global admin resets an
   * admin; operators send links only.
   */
  async assistedReset(
    actor: Actor,
    accountId: string,
    mode: AssistedResetMode,
    rc: RequestContext,
  ): Promise<Result<AssistedResetOutcome, AssistedResetError>> {
    const target = await this.d.store.directory.getAccount(accountId);
    if (!target) return err('account_not_found');
    const denial = canManageCredentials(actor, target);
    if (denial) return deny(this.d, actor, target, `assisted_reset.${mode}`, denial, rc);
    if (mode === 'temp_password' && actor.kind === 'operator') {
      return deny(this.d, actor, target, `assisted_reset.${mode}`, 'mode_not_allowed', rc);
    }
    const refusal = await this.d.callers?.requireVerified(actor, target, `assisted_reset.${mode}`, rc);
    if (refusal) return err(refusal);
    return mode === 'link' ? this.sendLink(actor, target, rc) : this.setTempPassword(actor, target, rc);
  }

  private async setTempPassword(
    actor: Actor,
    target: Account,
    rc: RequestContext,
  ): Promise<Result<AssistedResetOutcome, AssistedResetError>> {
    const tenant = await this.d.store.directory.getTenant(target.tenantId);
    const methods = await this.d.store.directory.listMethods(target.id);
    const minLength = tenant?.policy.passwordMinLength ?? PASSWORD_MIN_LENGTH_FLOOR;
    const tempPassword = generateTempPassword(
      this.d.random,
      minLength,
      personalWords({
        login: target.login,
        displayName: target.displayName,
        tenantName: tenant?.name ?? null,
        emails: methods.filter((m) => m.kind === 'email').map((m) => m.value),
      }),
    );
    // the one credential change: the temporary password written (must change, 24 h), everything
    // the old one opened ended, audited as the admin's, the person and every other admin told
    const result = await new CredentialChange(this.d).change({
      path: 'temp-password',
      account: target,
      tenant,
      password: tempPassword,
      actor: actorName(actor),
      rc,
      temporaryTtlMs: TEMP_PASSWORD_TTL_MS,
      auditDetails: { mode: 'temp_password', mustChangePassword: true },
      actingAccountId: actor.kind === 'admin' ? actor.account.id : null,
      adminNotice: { what: noticePhrase('email.phrase.tempSet'), by: actorDescription(actor) },
    });
    if (result.ok) {
      await this.d.callers?.notifyOwner(target);
      return ok({ mode: 'temp_password', tempPassword, expiresAt: result.value.effects.now + TEMP_PASSWORD_TTL_MS });
    }
    if (result.error === 'account_not_found') return err('account_not_found');
    // the directory refused it (unreachable, rights, a locked account…): the console says why
    if (isDirectoryWriteError(result.error)) return err(result.error);
    // the generated password passes the policy by construction and cannot be a recent one
    throw new Error(`generated temporary password refused: ${result.error}`);
  }

  private async sendLink(
    actor: Actor,
    target: Account,
    rc: RequestContext,
  ): Promise<Result<AssistedResetOutcome, AssistedResetError>> {
    const methods = await this.d.store.directory.listMethods(target.id);
    const email = methods.find((m) => m.kind === 'email' && m.verifiedAt !== null)?.value ?? null;
    if (!email) return err('no_methods', 'The account has no registered alternate email to send a link to.');
    const token = Buffer.from(this.d.random.bytes(32)).toString('base64url');
    const now = this.d.clock.now();
    const expiresAt = now + ASSISTED_LINK_TTL_MS;
    const result = await this.d.store.transaction(
      async (tx): Promise<Result<AssistedResetOutcome, AssistedResetError>> => {
        const current = await tx.directory.getAccount(target.id);
        if (!current) return err('account_not_found');
        const tenant = await tx.directory.getTenant(current.tenantId);
        // an assisted reset ends every self-service reset in progress (codes, links, flow cookies)
        await tx.flows.endAccountFlows(current.id, null, now);
        await tx.admin.issueLink(
          {
            id: this.d.random.uuid(),
            tenantId: current.tenantId,
            accountId: current.id,
            tokenHash: this.d.keyring.hmac('assisted-link', token),
            actor: actorName(actor),
            passwordHashAtIssue: current.passwordHash,
            createdAt: now,
            expiresAt,
          },
          now,
        );
        const { locale: lang, timeZone } = await messageLanguage(tx, current.tenantId, {
          saved: current.locale ?? null,
          page: rc.locale ?? null,
        });
        const content = renderEmail(
          'admin.reset_link',
          {
            displayName: current.displayName,
            login: current.login,
            link: `${this.d.publicUrl}/reset/assisted?t=${token}`,
            hours: Math.round(ASSISTED_LINK_TTL_MS / 3_600_000),
            when: new Date(now).toISOString(),
            issuedBy: noticePhrase(actor.kind === 'operator' ? 'email.phrase.support' : 'email.phrase.anAdmin'),
            helpText: helpText(tenant?.policy ?? null, lang),
          },
          lang,
          timeZone,
        );
        const recipients = [...new Set([email, current.login])];
        await emailAccount(tx, this.d, current, { template: 'admin.reset_link', content, expiresAt }, recipients, now);
        await auditChange(tx, actor, current, rc, now, 'admin.reset_link_sent', {
          mode: 'link',
          recipients: recipients.length,
          expiresAt,
        });
        await notifyAdminsOfReset(tx, this.d, actor, current, noticePhrase('email.phrase.linkSent'), now);
        return ok({ mode: 'link', expiresAt });
      },
    );
    if (result.ok) {
      this.d.outbox.wake();
      await this.d.callers?.notifyOwner(target);
    }
    return result;
  }
}

export const TEMP_PASSWORD_TTL_MS = 24 * 60 * 60_000;

// ---- temporary passwords -----------------------------------------------------------------

// no look-alikes (0/O, 1/l/I) so the password can be read out and typed from a screen
const TEMP_ALPHABET = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/**
 * Groups of five characters from 56 symbols (about 29 bits each), at least four groups (116 bits)
 * and enough for the tenant's minimum length: `Xk7pQ-mN3ra-…`.
 */
export function generateTempPassword(random: Random, minLength: number, personal: readonly string[]): string {
  const groups = Math.max(4, Math.ceil((minLength + 1) / 6));
  for (;;) {
    const parts: string[] = [];
    for (let g = 0; g < groups; g++) {
      let part = '';
      for (let i = 0; i < 5; i++) part += TEMP_ALPHABET[random.intBelow(TEMP_ALPHABET.length)];
      parts.push(part);
    }
    const password = parts.join('-');
    if (checkPassword(password, { minLength, personal }).ok) return password;
  }
}
