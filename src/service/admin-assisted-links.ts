import { actorName, type Actor, type Denial } from '../core/admin-rules.ts';
import type { Account } from '../core/directory-model.ts';
import { helpText, renderEmail } from '../core/message-templates.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { Store } from '../ports/store.ts';
import { auditChange, emailAccount, notifyAdminsOfReset, type NoticeDeps } from './admin-common.ts';
import { ASSISTED_LINK_TTL_MS } from './assisted-reset-service.ts';
import type { RequestContext } from './request-context.ts';

/**
 * Issuing an admin-assisted reset link (24 h): sent to the person's verified alternate email and
 * login address, every self-service reset of the account ended, every other admin told. The link
 * is redeemed by `AssistedResetService`.
 */
export interface AssistedLinksDeps extends NoticeDeps {
  readonly store: Pick<Store, 'transaction' | 'directory'>;
  /** Links in emails are built from this, never from a request's Host header. */
  readonly publicUrl: string;
}

export type AssistedResetMode = 'link' | 'temp_password';
export type AssistedResetOutcome =
  | { readonly mode: 'link'; readonly expiresAt: number }
  | { readonly mode: 'temp_password'; readonly tempPassword: string; readonly expiresAt: number };
export type AssistedResetError = Denial | 'account_not_found' | 'no_methods' | 'mode_not_allowed';

export class AssistedLinks {
  constructor(private readonly d: AssistedLinksDeps) {}

  async sendLink(
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
        const content = renderEmail('admin.reset_link', {
          displayName: current.displayName,
          login: current.login,
          link: `${this.d.publicUrl}/reset/assisted?t=${token}`,
          hours: Math.round(ASSISTED_LINK_TTL_MS / 3_600_000),
          when: new Date(now).toISOString(),
          issuedBy: actor.kind === 'operator' ? 'Technical Support' : 'an administrator of your organisation',
          helpText: helpText(tenant?.policy ?? null),
        });
        const recipients = [...new Set([email, current.login])];
        await emailAccount(tx, this.d, current, { template: 'admin.reset_link', content, expiresAt }, recipients, now);
        await auditChange(tx, actor, current, rc, now, 'admin.reset_link_sent', {
          mode: 'link',
          recipients: recipients.length,
          expiresAt,
        });
        await notifyAdminsOfReset(tx, this.d, actor, current, 'a one-time reset link was sent to them', now);
        return ok({ mode: 'link', expiresAt });
      },
    );
    if (result.ok) this.d.outbox.wake();
    return result;
  }
}
