import type { DirectoryWriteError } from '../core/directory-refusals.ts';
import { noticeName, noticePhrase } from '../core/message-templates.ts';
import type { DirectoryProvider } from '../ports/directory-provider.ts';
import type { Account, Tenant } from '../core/directory-model.ts';
import { normalizePassword, type PasswordProblem } from '../core/password-policy.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { Clock } from '../ports/clock.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { PasswordHasher } from '../ports/password-hasher.ts';
import type { Random } from '../ports/random.ts';
import type { AssistedLinkRecord } from '../ports/admin-store.ts';
import type { Repos, Store } from '../ports/store.ts';
import { CredentialChange } from './credential-change.ts';
import type { RequestContext } from './request-context.ts';
import { appendSelfEvent } from './audit-context.ts';

/**
 * The receiving end of an admin-assisted reset link (`/reset/assisted?t=…`). The token (256 bits,
 * only its HMAC stored, 24 h, single use) is redeemed by a POST — never by the GET an email
 * scanner makes — and exchanged for a browser grant (another 256-bit secret, kept in a cookie,
 * 30 minutes) under which the person chooses a new password. Setting it revokes every session,
 * code and link of the account in the same transaction, and notifies the person.
 */
export interface AssistedResetDeps {
  /** The tenants' directories (OpenLDAP, AD); absent: every tenant keeps its passwords in sspr. */
  readonly directories?: DirectoryProvider;
  readonly store: Store;
  readonly keyring: Keyring;
  readonly random: Random;
  readonly clock: Clock;
  readonly hasher: PasswordHasher;
  readonly outbox: { wake(): void };
}

export const ASSISTED_LINK_TTL_MS = 24 * 60 * 60_000;
export const ASSISTED_GRANT_TTL_MS = 30 * 60_000;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{40,64}$/;

/** `link_invalid`: unknown or malformed; `link_expired`: expired, used, replaced, or the password changed since. */
export type LinkError = 'link_invalid' | 'link_expired';
export type GrantError = 'grant_invalid';
export type AssistedPasswordError =
  | GrantError
  | 'password_mismatch'
  | 'password_reused'
  | PasswordProblem
  | DirectoryWriteError;

export interface AssistedGrantView {
  readonly login: string;
  readonly displayName: string;
  readonly passwordMinLength: number;
  readonly expiresAt: number;
}

export class AssistedResetService {
  constructor(private readonly d: AssistedResetDeps) {}

  /** Read-only: whether a link would still work (for the Continue page; changes nothing). */
  async check(token: string): Promise<Result<{ expiresAt: number }, LinkError>> {
    const found = await this.live(this.d.store, token);
    return found.ok ? ok({ expiresAt: found.value.link.expiresAt }) : found;
  }

  /** Redeems the link once; returns the browser grant the password form works under. */
  async redeem(token: string, rc: RequestContext): Promise<Result<{ grant: string; expiresAt: number }, LinkError>> {
    const grant = Buffer.from(this.d.random.bytes(32)).toString('base64url');
    const now = this.d.clock.now();
    const expiresAt = now + ASSISTED_GRANT_TTL_MS;
    return this.d.store.transaction(async (tx): Promise<Result<{ grant: string; expiresAt: number }, LinkError>> => {
      const found = await this.live(tx, token);
      if (!found.ok) return found;
      const { link, account } = found.value;
      const consumed = await tx.admin.consumeLink(link.id, this.grantHash(grant), expiresAt, now);
      if (!consumed) return err('link_expired');
      await appendSelfEvent(tx, account, rc, now, 'assisted_link.redeemed', 'ok', { issuedBy: link.actor });
      return ok({ grant, expiresAt });
    });
  }

  /** What the password form needs, for a live grant. */
  async view(grant: string): Promise<Result<AssistedGrantView, GrantError>> {
    const found = await this.grantLink(this.d.store, grant);
    if (!found.ok) return found;
    const { link, account, tenant } = found.value;
    return ok({
      login: account.login,
      displayName: account.displayName,
      passwordMinLength: tenant.policy.passwordMinLength,
      expiresAt: link.grantExpiresAt ?? 0,
    });
  }

  /**
   * Sets the new password under a live grant, through the one credential change (everything
   * the self-service reset ends and tells, other admins told when the account is an admin).
   */
  async setPassword(
    grant: string,
    password: string,
    confirm: string,
    rc: RequestContext,
  ): Promise<Result<void, AssistedPasswordError>> {
    const found = await this.grantLink(this.d.store, grant);
    if (!found.ok) return found;
    const { account, tenant } = found.value;
    if (normalizePassword(password) !== normalizePassword(confirm)) return err('password_mismatch');
    const result = await new CredentialChange(this.d).change(
      {
        path: 'assisted-link',
        account,
        tenant,
        password,
        actor: 'self',
        rc,
        auditDetails: { by: 'assisted-link', issuedBy: found.value.link.actor },
        adminNotice: {
          what: noticePhrase('email.phrase.changedWithAdminLink'),
          by: noticeName(`${account.displayName} (${account.login})`),
        },
      },
      {
        // a directory account: the grant must still be live before the directory gets the password
        precheck: async (repos): Promise<Result<undefined, GrantError>> => {
          const again = await this.grantLink(repos, grant);
          return again.ok ? ok(undefined) : again;
        },
        before: async (tx, now): Promise<Result<undefined, GrantError>> => {
          const again = await this.grantLink(tx, grant);
          if (!again.ok) return again;
          if (again.value.account.id !== account.id || !(await tx.admin.completeLink(again.value.link.id, now))) {
            return err('grant_invalid');
          }
          return ok(undefined);
        },
      },
    );
    if (!result.ok) return result.error === 'account_not_found' ? err('grant_invalid') : err(result.error);
    return ok(undefined);
  }

  private grantHash(grant: string): string {
    return this.d.keyring.hmac('assisted-grant', grant);
  }

  private async live(
    tx: Repos,
    token: string,
  ): Promise<Result<{ link: AssistedLinkRecord; account: Account }, LinkError>> {
    if (!TOKEN_SHAPE.test(token)) return err('link_invalid');
    let link = null;
    for (const hash of this.d.keyring.hmacAll('assisted-link', token))
      link ??= await tx.admin.findLinkByTokenHash(hash);
    if (!link) return err('link_invalid');
    const account = await tx.directory.getAccount(link.accountId);
    if (!account) return err('link_invalid');
    const now = this.d.clock.now();
    if (
      link.usedAt !== null ||
      link.supersededAt !== null ||
      link.completedAt !== null ||
      now >= link.expiresAt ||
      account.passwordHash !== link.passwordHashAtIssue
    ) {
      return err('link_expired');
    }
    return ok({ link, account });
  }

  private async grantLink(
    tx: Repos,
    grant: string,
  ): Promise<Result<{ link: AssistedLinkRecord; account: Account; tenant: Tenant }, GrantError>> {
    if (!TOKEN_SHAPE.test(grant)) return err('grant_invalid');
    let link = null;
    for (const hash of this.d.keyring.hmacAll('assisted-grant', grant))
      link ??= await tx.admin.findLinkByGrantHash(hash);
    const now = this.d.clock.now();
    if (
      !link ||
      link.completedAt !== null ||
      link.supersededAt !== null ||
      link.grantExpiresAt === null ||
      now >= link.grantExpiresAt
    ) {
      return err('grant_invalid');
    }
    const account = await tx.directory.getAccount(link.accountId);
    const tenant = account ? await tx.directory.getTenant(account.tenantId) : null;
    if (!account || !tenant || account.passwordHash !== link.passwordHashAtIssue) return err('grant_invalid');
    return ok({ link, account, tenant });
  }
}

/** Kept here for the modules that import it from the assisted reset. */
export { helpTextOf } from './credential-notices.ts';
