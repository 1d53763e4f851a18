import type { Account, Tenant } from '../core/directory-model.ts';
import { renderEmail } from '../core/message-templates.ts';
import { checkPassword, normalizePassword, type PasswordProblem } from '../core/password-policy.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { Clock } from '../ports/clock.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { PasswordHasher } from '../ports/password-hasher.ts';
import type { Random } from '../ports/random.ts';
import type { AssistedLinkRecord } from '../ports/admin-store.ts';
import type { Repos, Store } from '../ports/store.ts';
import { enqueueEmail } from './message-queue.ts';
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
  readonly store: Store;
  readonly keyring: Keyring;
  readonly random: Random;
  readonly clock: Clock;
  readonly hasher: PasswordHasher;
  readonly outbox: { wake(): void };
}

export const ASSISTED_LINK_TTL_MS = 24 * 60 * 60_000;
export const ASSISTED_GRANT_TTL_MS = 30 * 60_000;
const PASSWORD_HISTORY = 5;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{40,64}$/;

/** `link_invalid`: unknown or malformed; `link_expired`: expired, used, replaced, or the password changed since. */
export type LinkError = 'link_invalid' | 'link_expired';
export type GrantError = 'grant_invalid';
export type AssistedPasswordError = GrantError | 'password_mismatch' | 'password_reused' | PasswordProblem;

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
      await this.audit(tx, account, rc, now, 'assisted_link.redeemed', 'ok', { issuedBy: link.actor });
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

  /** Sets the new password under a live grant (same rules as the self-service reset). */
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
    const methods = await this.d.store.directory.listMethods(account.id);
    const email = methods.find((m) => m.kind === 'email' && m.verifiedAt !== null)?.value ?? null;
    const checked = checkPassword(password, {
      minLength: tenant.policy.passwordMinLength,
      personal: [account.login, account.displayName, tenant.name, ...(email ? [email] : [])],
    });
    if (!checked.ok) return err(checked.error);
    const recent = [
      ...(account.passwordHash ? [account.passwordHash] : []),
      ...(await this.d.store.flows.recentPasswordHashes(account.id, PASSWORD_HISTORY)),
    ];
    for (const h of recent) if (await this.d.hasher.verify(h, checked.value)) return err('password_reused');
    const hash = await this.d.hasher.hash(checked.value);
    const now = this.d.clock.now();
    const result = await this.d.store.transaction(async (tx): Promise<Result<void, AssistedPasswordError>> => {
      const again = await this.grantLink(tx, grant);
      if (!again.ok) return again;
      const { link, account: current } = again.value;
      if (!(await tx.admin.completeLink(link.id, now))) return err('grant_invalid');
      if (current.passwordHash) await tx.flows.addPasswordHistory(current.id, current.passwordHash, now);
      await tx.directory.updateAccount(current.id, { passwordHash: hash, mustChangePassword: false }, now);
      await tx.admin.clearTempPassword(current.id);
      const revoked = await tx.directory.revokeSessions(current.id, now);
      await tx.flows.endAccountFlows(current.id, null, now);
      await tx.admin.endLinks(current.id, now);
      await tx.flows.clearGuard(current.id);
      await tx.auth.clearSigninGuard(current.id);
      await this.audit(tx, current, rc, now, 'password.changed', 'ok', { by: 'assisted-link', issuedBy: link.actor });
      await this.audit(tx, current, rc, now, 'sessions.revoked', 'ok', { count: revoked });
      const notice = renderEmail('reset.completed', {
        displayName: current.displayName,
        login: current.login,
        when: new Date(now).toISOString(),
        ip: rc.ip ?? 'unknown',
        helpText: helpTextOf(again.value.tenant),
      });
      for (const to of new Set([current.login, ...(email ? [email] : [])])) {
        await enqueueEmail(tx, this.d, {
          tenantId: current.tenantId,
          accountId: current.id,
          template: 'reset.completed',
          to,
          content: notice,
          expiresAt: null,
          now,
        });
      }
      return ok(undefined);
    });
    if (result.ok) this.d.outbox.wake();
    return result;
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

  private async audit(
    tx: Repos,
    account: Account,
    rc: RequestContext,
    at: number,
    type: string,
    outcome: string,
    details: Record<string, string | number | boolean | null>,
  ): Promise<void> {
    await appendSelfEvent(tx, account, rc, at, type, outcome, details);
  }
}

/** Where to get help, in a notice: the tenant's help desk, or its administrator. */
export function helpTextOf(tenant: Tenant): string {
  const { helpdeskEmail, helpdeskUrl } = tenant.policy;
  if (helpdeskEmail && helpdeskUrl) return `Contact your help desk at ${helpdeskEmail} or ${helpdeskUrl}.`;
  if (helpdeskEmail) return `Contact your help desk at ${helpdeskEmail}.`;
  if (helpdeskUrl) return `Contact your help desk: ${helpdeskUrl}.`;
  return 'Contact your administrator.';
}
