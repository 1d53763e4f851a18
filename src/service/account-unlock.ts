import { isAdminRole, type Account, type Tenant } from '../core/directory-model.ts';
import { directoryWriteError, type DirectoryWriteError } from '../core/directory-refusals.ts';
import type { DirectoryRefusal } from '../core/directory-rules.ts';
import { helpText, renderEmail, type NoticeWords } from '../core/message-templates.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { Clock } from '../ports/clock.ts';
import type { DirectoryProvider } from '../ports/directory-provider.ts';
import type { ExternalDirectory } from '../ports/external-directory.ts';
import type { Repos, Store } from '../ports/store.ts';
import { emailAccount } from './admin-common.ts';
import { DirectoryPasswords, type DirectoryTarget } from './directory-passwords.ts';
import { enqueueEmail, type MessageQueueDeps } from './message-queue.ts';
import { appendAudit, type AuditDetails, type RequestContext } from './request-context.ts';
import { messageLanguage } from './message-language.ts';

/**
 * Unlocking a directory account without changing its password (issue 11 item 5): AD `lockoutTime`
 * set to 0, OpenLDAP's `pwdAccountLockedTime` removed — the adapter's `unlock`. One use case for
 * the person at the end of a reset's gates and for an administrator (console, admin API). The
 * directory is asked OUTSIDE the transaction (no write lock held over a network call); then, in one
 * transaction, the caller's own step (the flow completes), sspr's sign-in throttling of the account
 * cleared, the audit event `account.unlocked` and the notices (the account's login and verified
 * alternate emails; every other admin when the account is an admin). No session is revoked and no
 * password changes. A refusal is audited (`directory.unlock_refused`, with the diagnostic for the
 * admin) and answered with the same error codes as a refused password write.
 */
export interface AccountUnlockDeps extends MessageQueueDeps {
  readonly directories?: DirectoryProvider;
  readonly store: Store;
  readonly clock: Clock;
  readonly outbox?: { wake(): void };
}

/** `not_directory_account`: the account's password lives in sspr (or its tenant has no directory): nothing to unlock. */
export type UnlockError = DirectoryWriteError | 'not_directory_account';

export type { DirectoryTarget };

export interface UnlockRequest<T, E extends string> {
  readonly account: Account;
  readonly tenant: Tenant | null;
  /** Audit actor: `self`, `admin:<id>`, `api_key:<id>`, `operator:<id>`. */
  readonly actor: string;
  /** `self-service`, `console`, `api`: kept in the audit event. */
  readonly by: string;
  /** Who did it, for the notices: `you, after the security checks of a password reset` or an admin's name. */
  readonly byText: NoticeWords;
  readonly rc: RequestContext | null;
  /** The admin who acted (not told about their own action). */
  readonly actingAccountId?: string | null;
  readonly auditDetails?: AuditDetails;
  /** Before the directory is asked: a read-only check of the caller's step (the flow is at the right step). */
  readonly precheck?: () => Promise<Result<void, E>>;
  /** The caller's own step, first in the transaction (the flow completes); a refusal rolls back sspr's side. */
  readonly before?: (tx: Repos, now: number) => Promise<Result<T, E>>;
}

export class AccountUnlock {
  constructor(private readonly d: AccountUnlockDeps) {}

  /** The account's directory entry (lock state included), or why it cannot be read. */
  async target(account: Account): Promise<Result<DirectoryTarget, UnlockError>> {
    // the one lookup of a directory account's entry (by its stable id), shared with the password write
    const found = await new DirectoryPasswords(this.d).target(account);
    if (!found.ok) return err(directoryWriteError(found.error), found.detail);
    return found.value ? ok(found.value) : err('not_directory_account');
  }

  async unlock<T = undefined, E extends string = never>(
    req: UnlockRequest<T, E>,
  ): Promise<Result<{ value: T; wasLocked: boolean; recipients: number }, UnlockError | E>> {
    if (req.precheck) {
      const pre = await req.precheck();
      if (!pre.ok) return pre;
    }
    const target = await this.target(req.account);
    if (!target.ok) {
      if (target.error !== 'not_directory_account') await this.refused(req, null, target.error, target.detail);
      return target;
    }
    const { directory, entry } = target.value;
    const unlocked = await directory.unlock(entry);
    if (!unlocked.ok) {
      await this.refused(req, directory, unlocked.error, unlocked.detail);
      return err(directoryWriteError(unlocked.error));
    }
    const now = this.d.clock.now();
    const result = await this.d.store.transaction(
      async (tx): Promise<Result<{ value: T; wasLocked: boolean; recipients: number }, E>> => {
        let value = undefined as T;
        if (req.before) {
          const step = await req.before(tx, now);
          if (!step.ok) return step;
          value = step.value;
        }
        const account = (await tx.directory.getAccount(req.account.id)) ?? req.account;
        // the person proved who they are (or an admin vouched): sspr's own throttling ends with the lock
        await tx.auth.clearSigninGuard(account.id);
        await appendAudit(tx, {
          at: now,
          tenantId: account.tenantId,
          accountId: account.id,
          actor: req.actor,
          rc: req.rc,
          type: 'account.unlocked',
          outcome: 'ok',
          details: { ...req.auditDetails, by: req.by, wasLocked: entry.locked, directory: directory.kind },
        });
        const recipients = await this.notify(tx, req, account, now);
        return ok({ value, wasLocked: entry.locked, recipients });
      },
    );
    if (result.ok) this.d.outbox?.wake();
    return result;
  }

  /** The directory refused or could not be asked: kept for the admin (audit event with the diagnostic). */
  private async refused(
    req: UnlockRequest<unknown, string>,
    directory: ExternalDirectory | null,
    error: DirectoryWriteError | DirectoryRefusal,
    diagnostic: string | undefined,
  ): Promise<void> {
    await appendAudit(this.d.store, {
      at: this.d.clock.now(),
      tenantId: req.account.tenantId,
      accountId: req.account.id,
      actor: req.actor,
      rc: req.rc,
      type: 'directory.unlock_refused',
      outcome: error,
      details: {
        ...req.auditDetails,
        by: req.by,
        diagnostic: (diagnostic ?? '').slice(0, 500),
        kind: directory?.kind ?? null,
      },
    });
  }

  /** The account's own addresses; every other enabled admin when the account is an admin. */
  private async notify(tx: Repos, req: UnlockRequest<unknown, string>, account: Account, now: number): Promise<number> {
    const when = new Date(now).toISOString();
    const ip = req.rc?.ip ?? 'unknown';
    const methods = await tx.directory.listMethods(account.id);
    const emails = methods.filter((m) => m.kind === 'email' && m.verifiedAt !== null).map((m) => m.value);
    const recipients = new Set([account.login, ...emails]);
    const { locale: lang, timeZone } = await messageLanguage(tx, account.tenantId, {
      saved: account.locale ?? null,
      page: req.rc?.locale ?? null,
    });
    const content = renderEmail(
      'account.unlocked',
      {
        displayName: account.displayName,
        login: account.login,
        when,
        ip,
        by: req.byText,
        helpText: helpText(req.tenant?.policy ?? null, lang),
      },
      lang,
      timeZone,
    );
    const queued = await emailAccount(
      tx,
      this.d,
      account,
      { template: 'account.unlocked', content, expiresAt: null },
      recipients,
      now,
    );
    if (isAdminRole(account.role)) {
      for (const other of await tx.directory.listAccounts({ tenantId: account.tenantId, limit: 1000 })) {
        if (!isAdminRole(other.role) || !other.enabled || other.id === account.id) continue;
        if (other.id === req.actingAccountId) continue;
        const theirs = await messageLanguage(tx, account.tenantId, { saved: other.locale ?? null });
        await enqueueEmail(tx, this.d, {
          tenantId: account.tenantId,
          accountId: other.id,
          template: 'admin.unlock_notice',
          to: other.login,
          // in that admin's own saved language, not the acting person's page language
          content: renderEmail(
            'admin.unlock_notice',
            {
              displayName: other.displayName,
              targetLogin: account.login,
              targetName: account.displayName,
              by: req.byText,
              when,
              ip,
            },
            theirs.locale,
            theirs.timeZone,
          ),
          expiresAt: null,
          now,
        });
      }
    }
    return queued;
  }
}
