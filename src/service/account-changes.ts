import { actorDescription, canPrefillMethod, canSetRole, type ChangeActor, type Denial } from '../core/admin-rules.ts';
import { maskMethod, normalizeMethod, type ContactError, type MethodKind } from '../core/contact.ts';
import { isAdminRole, type Account, type Method, type Role } from '../core/directory-model.ts';
import { helpText, renderEmail } from '../core/message-templates.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { Repos, Store } from '../ports/store.ts';
import { auditChange, deny, emailAccount, notifyOtherAdmins, type NoticeDeps } from './admin-common.ts';
import type { RequestContext } from './request-context.ts';
import { messageLanguage } from './message-language.ts';

/**
 * The ONE role change and the ONE pre-fill of contact methods, for every caller: the admin
 * console, the support console and the admin API (an `Actor`, checked by the admin rules) and the
 * command line (a `CliActor`, trusted). Each writes its change, its audit event and its notices in
 * one transaction; a refusal by the rules is audited as `admin.denied` and changes nothing.
 *
 * - Role change: audited `account.role_changed` {from, to}; tells the account itself (its login
 *   address and verified alternate email) and, when the role it had or gets is an administrator's,
 *   every other enabled admin of the tenant (`admin.role_notice`).
 * - Pre-fill: recorded as verified now (an administrator's pre-fill is trusted); audited
 *   `admin.method_prefilled` {kind, value, previous, changed} (values masked); when something
 *   changed (a new value, or one not verified before), `security-info.changed` goes to the login
 *   address, the alternate email after the change, and the old alternate email when it changed.
 */
export interface AccountChangesDeps extends NoticeDeps {
  readonly store: Pick<Store, 'transaction' | 'audit'>;
  /** The public URL: the notice of a pre-fill names the reset page (`<url>/reset`). */
  readonly publicUrl?: string;
}

export interface Change<T> {
  readonly value: T;
  /** False when the request asked for what was already the case: nothing was written. */
  readonly changed: boolean;
}

export interface PrefillOutcome {
  readonly method: Method;
  /** False when the method already had this value, verified: no notice was sent. */
  readonly changed: boolean;
  /** Security notices queued. */
  readonly noticesQueued: number;
}

export type ChangeError = Denial | 'account_not_found';

export class AccountChanges {
  constructor(private readonly d: AccountChangesDeps) {}

  async setRole(
    actor: ChangeActor,
    target: Account,
    role: Role,
    rc: RequestContext,
  ): Promise<Result<Change<Account>, ChangeError>> {
    const denial = canSetRole(actor, target, role);
    if (denial) return deny(this.d, actor, target, `role.${role}`, denial, rc);
    if (target.role === role) return ok({ value: target, changed: false });
    const now = this.d.clock.now();
    const result = await this.d.store.transaction(async (tx): Promise<Result<Change<Account>, ChangeError>> => {
      const updated = await tx.directory.updateAccount(target.id, { role }, now);
      if (!updated) return err('account_not_found', `There is no account ${target.login}.`);
      await auditChange(tx, actor, target, rc, now, 'account.role_changed', { from: target.role, to: role });
      const notice = (to: Account) => ({
        displayName: to.displayName,
        targetLogin: target.login,
        targetName: target.displayName,
        from: target.role,
        to: role,
        by: actorDescription(actor),
        when: new Date(now).toISOString(),
      });
      const lang = await messageLanguage(tx, target.tenantId, {
        saved: target.locale ?? null,
        page: rc.locale ?? null,
      });
      const content = renderEmail('account.role_changed', notice(target), lang.locale, lang.timeZone);
      const to = await this.accountAddresses(tx, target);
      await emailAccount(tx, this.d, target, { template: 'account.role_changed', content, expiresAt: null }, to, now);
      if (isAdminRole(target.role) || isAdminRole(role)) {
        await notifyOtherAdmins(tx, this.d, actor, target, 'admin.role_notice', notice, now);
      }
      return ok({ value: updated, changed: true });
    });
    if (result.ok) this.d.outbox.wake();
    return result;
  }

  async prefillMethod(
    actor: ChangeActor,
    target: Account,
    kind: MethodKind,
    value: string,
    rc: RequestContext,
  ): Promise<Result<PrefillOutcome, ChangeError | ContactError>> {
    const denial = canPrefillMethod(actor, target);
    if (denial) return deny(this.d, actor, target, `prefill.${kind}`, denial, rc);
    const normalized = normalizeMethod(kind, value);
    if (!normalized.ok) return normalized;
    const now = this.d.clock.now();
    const outcome = await this.d.store.transaction(async (tx): Promise<PrefillOutcome> => {
      const tenant = await tx.directory.getTenant(target.tenantId);
      const before = await tx.directory.listMethods(target.id);
      const previous = before.find((m) => m.kind === kind) ?? null;
      const previousEmail = before.find((m) => m.kind === 'email')?.value ?? null;
      const changed = !previous || previous.value !== normalized.value || previous.verifiedAt === null;
      const method = await tx.directory.setMethod(target.id, kind, normalized.value, now, now);
      await auditChange(tx, actor, target, rc, now, 'admin.method_prefilled', {
        kind,
        value: maskMethod(kind, normalized.value),
        previous: previous ? maskMethod(kind, previous.value) : null,
        changed,
      });
      if (!changed) return { method, changed, noticesQueued: 0 };
      const newEmail = kind === 'email' ? normalized.value : previousEmail;
      const recipients = [
        ...new Set([newEmail, kind === 'email' ? previousEmail : null, target.login].filter((x) => x !== null)),
      ];
      const { locale: lang, timeZone } = await messageLanguage(tx, target.tenantId, {
        saved: target.locale ?? null,
        page: rc.locale ?? null,
      });
      const content = renderEmail(
        'security-info.changed',
        {
          displayName: target.displayName,
          kind,
          maskedValue: maskMethod(kind, normalized.value),
          when: new Date(now).toISOString(),
          changedBy: 'an administrator',
          helpText: helpText(tenant?.policy ?? null, lang),
          resetUrl: this.d.publicUrl ? `${this.d.publicUrl.replace(/\/+$/, '')}/reset` : null,
        },
        lang,
        timeZone,
      );
      const noticesQueued = await emailAccount(
        tx,
        this.d,
        target,
        { template: 'security-info.changed', content, expiresAt: null },
        recipients,
        now,
      );
      return { method, changed, noticesQueued };
    });
    if (outcome.noticesQueued > 0) this.d.outbox.wake();
    return ok(outcome);
  }

  /** The account's own addresses: its login and its verified alternate email. */
  private async accountAddresses(tx: Repos, account: Account): Promise<string[]> {
    const methods = await tx.directory.listMethods(account.id);
    const email = methods.find((m) => m.kind === 'email' && m.verifiedAt !== null)?.value ?? null;
    return [...new Set([account.login, ...(email ? [email] : [])])];
  }
}
