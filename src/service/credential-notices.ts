import { isAdminRole, type Account, type Method, type Tenant } from '../core/directory-model.ts';
import { translate, type UiLocale } from '../core/i18n.ts';
import { helpText, renderEmail } from '../core/message-templates.ts';
import type { Repos } from '../ports/store.ts';
import type { CredentialChangeDeps, CredentialChangeRequest } from './credential-change.ts';
import type { PathRule } from './credential-paths.ts';
import { enqueueEmail } from './message-queue.ts';
import { messageLanguage } from './message-language.ts';

/**
 * The notices of a password change, queued in its transaction: to the account's login and verified
 * emails (`reset.completed`, or `admin.temp_password` for a temporary password); to the tenant's
 * other enabled admins per the path's rule (`otherAdmins`), never to the admin who acted.
 * Returns how many of the account's own addresses were told.
 */
export async function queueCredentialNotices(
  tx: Repos,
  d: Pick<CredentialChangeDeps, 'keyring' | 'random' | 'metrics'>,
  req: CredentialChangeRequest,
  rule: PathRule,
  account: Account,
  methods: readonly Method[],
  now: number,
): Promise<number> {
  const when = new Date(now).toISOString();
  const ip = req.rc?.ip ?? 'unknown';
  // the account's saved language, else the page's that caused the change (docs/i18n.md)
  const { locale, timeZone } = await messageLanguage(tx, account.tenantId, {
    saved: account.locale ?? null,
    page: req.rc?.locale ?? null,
  });
  const emails = methods.filter((m) => m.kind === 'email' && m.verifiedAt !== null).map((m) => m.value);
  const recipients = new Set([account.login, ...emails]);
  const help = req.tenant ? helpText(req.tenant.policy, locale) : translate(locale, 'help.contact.admin');
  const content =
    rule.accountNotice === 'admin.temp_password'
      ? renderEmail(
          'admin.temp_password',
          {
            displayName: account.displayName,
            login: account.login,
            when,
            hours: Math.round((req.temporaryTtlMs ?? 0) / 3_600_000),
            helpText: help,
          },
          locale,
          timeZone,
        )
      : renderEmail(
          'reset.completed',
          {
            displayName: account.displayName,
            login: account.login,
            when,
            ip,
            helpText: help,
          },
          locale,
          timeZone,
        );
  const base = { tenantId: account.tenantId, expiresAt: null, now };
  for (const to of recipients) {
    await enqueueEmail(tx, d, { ...base, accountId: account.id, template: rule.accountNotice, to, content });
    d.metrics?.messageQueued('email', rule.accountNotice);
  }
  if (rule.otherAdmins === 'always' || isAdminRole(account.role)) {
    const accounts = await tx.directory.listAccounts({ tenantId: account.tenantId, limit: 1000 });
    for (const other of accounts) {
      if (!isAdminRole(other.role) || !other.enabled || other.id === account.id) continue;
      if (other.id === req.actingAccountId) continue;
      const template = req.adminNotice ? 'admin.reset_notice' : 'reset.admin_notice';
      // each admin in their own saved language, never the acting person's page language
      const { locale: theirs, timeZone: theirZone } = await messageLanguage(tx, account.tenantId, {
        saved: other.locale ?? null,
      });
      const notice = req.adminNotice
        ? renderEmail(
            'admin.reset_notice',
            {
              displayName: other.displayName,
              targetLogin: account.login,
              targetName: account.displayName,
              what: req.adminNotice.what,
              by: req.adminNotice.by,
              when,
            },
            theirs,
            theirZone,
          )
        : renderEmail(
            'reset.admin_notice',
            { displayName: other.displayName, adminLogin: account.login, adminName: account.displayName, when, ip },
            theirs,
            theirZone,
          );
      await enqueueEmail(tx, d, { ...base, accountId: other.id, template, to: other.login, content: notice });
      d.metrics?.messageQueued('email', template);
    }
  }
  return recipients.size;
}

/** Where to get help, in a notice: message help.contact of the catalogue (core/message-templates). */
export function helpTextOf(tenant: Tenant, locale: UiLocale = 'en'): string {
  return helpText(tenant.policy, locale);
}
