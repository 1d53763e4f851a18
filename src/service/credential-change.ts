import type { DirectoryProvider } from '../ports/directory-provider.ts';
import { directoryWriteError, effectiveMinLength, type DirectoryWriteError } from '../core/directory-refusals.ts';
import { isAdminRole, DEFAULT_TENANT_POLICY, type Account, type Method, type Tenant } from '../core/directory-model.ts';
import { helpText, renderEmail } from '../core/message-templates.ts';
import {
  checkPassword,
  personalWords,
  PASSWORD_HISTORY_LENGTH,
  type PasswordProblem,
} from '../core/password-policy.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { Clock } from '../ports/clock.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { Logger } from '../ports/logger.ts';
import type { Metrics } from '../ports/metrics.ts';
import type { PasswordHasher } from '../ports/password-hasher.ts';
import type { Random } from '../ports/random.ts';
import type { Repos, Store } from '../ports/store.ts';
import { DirectoryPasswords, type DirectoryTarget } from './directory-passwords.ts';
import { enqueueEmail } from './message-queue.ts';
import { appendAudit, type AuditDetails, type RequestContext } from './request-context.ts';

/**
 * The one unit of work through which a password changes — and the one seam through which it
 * leaves sspr (the built-in store, or the tenant's directory for an account that has an
 * `externalId`: see "Directory accounts" on `change`). Every path that
 * sets a password calls `change`: it vets the new password (one policy, one history, one list
 * of context words), hashes it off the event loop, and then in ONE transaction runs the path's
 * own step (`before`: complete the flow, the link…), writes the password, and ends everything
 * the old password opened: every reset flow with its codes and links, every assisted link, the
 * temporary password, every session; clears blocks and throttling where the path proves who
 * the person is; writes the audit event with the actor; queues the notices.
 *
 * What differs per path is data, in `CREDENTIAL_PATHS` below — not code.
 */
export type CredentialPath = 'self-service' | 'assisted-link' | 'temp-password' | 'signed-in' | 'cli';

export interface PathRule {
  /**
   * Whether the path proves who the person is, so the self-service block (wrong codes) and the
   * sign-in throttling (wrong passwords) end with the change.
   */
  readonly provesIdentity: boolean;
  /** Why, in a word, for readers of this table. */
  readonly proof: string;
  /** The audit event of the change (names kept from before the paths were folded). */
  readonly event: string;
  /** Sessions revoked: a separate `sessions.revoked` event, or a `sessionsRevoked` detail of the change's event. */
  readonly sessionsAudit: 'event' | 'detail';
  /** The notice to the account's own addresses. */
  readonly accountNotice: 'reset.completed' | 'admin.temp_password';
  /**
   * Other enabled admins of the tenant are told when the account is an admin — and, on an
   * admin-assisted path (`always`), whatever the account's role.
   */
  readonly otherAdmins: 'when-admin' | 'always';
}

/**
 * Per path: what proves identity, and what is audited and told. Every other effect (vet, hash,
 * history, flows/codes/links ended, assisted links ended, temporary password cleared or set,
 * sessions revoked, notices) is the same for all five.
 *
 * | path          | proves identity by                            | clears blocks + throttling |
 * | ------------- | --------------------------------------------- | -------------------------- |
 * | self-service  | the reset's codes/links (1 or 2 gates)        | yes                        |
 * | assisted-link | an admin's link, redeemed in the browser      | yes                        |
 * | temp-password | an admin vouching for the person              | yes                        |
 * | signed-in     | the current password and a live session       | yes                        |
 * | cli           | nothing about the person (an operator's shell) | no                         |
 */
export const CREDENTIAL_PATHS: Readonly<Record<CredentialPath, PathRule>> = {
  'self-service': {
    provesIdentity: true,
    proof: 'codes',
    event: 'password.changed',
    sessionsAudit: 'event',
    accountNotice: 'reset.completed',
    otherAdmins: 'when-admin',
  },
  'assisted-link': {
    provesIdentity: true,
    proof: 'admin link',
    event: 'password.changed',
    sessionsAudit: 'event',
    accountNotice: 'reset.completed',
    otherAdmins: 'when-admin',
  },
  'temp-password': {
    provesIdentity: true,
    proof: 'admin vouches',
    event: 'admin.temp_password_set',
    sessionsAudit: 'event',
    accountNotice: 'admin.temp_password',
    otherAdmins: 'always',
  },
  'signed-in': {
    provesIdentity: true,
    proof: 'current password',
    event: 'password.changed',
    sessionsAudit: 'detail',
    accountNotice: 'reset.completed',
    otherAdmins: 'when-admin',
  },
  cli: {
    provesIdentity: false,
    proof: 'none',
    event: 'account.password_set',
    sessionsAudit: 'detail',
    accountNotice: 'reset.completed',
    otherAdmins: 'when-admin',
  },
};

/**
 * Where a new password hash is written: the one place a password leaves sspr. The built-in
 * store today; a directory adapter (LDAP, Active Directory) plugs in here.
 */
export interface CredentialWriter {
  write(tx: Repos, account: Account, hash: string, mustChangePassword: boolean, now: number): Promise<Account | null>;
}

export const builtinCredentialWriter: CredentialWriter = {
  write: (tx, account, hash, mustChangePassword, now) =>
    tx.directory.updateAccount(account.id, { passwordHash: hash, mustChangePassword }, now),
};

export interface CredentialChangeDeps {
  /** The tenants' directories (OpenLDAP, AD); absent: every tenant keeps its passwords in sspr. */
  readonly directories?: DirectoryProvider;
  readonly store: Store;
  readonly keyring: Keyring;
  readonly random: Random;
  readonly clock: Clock;
  readonly hasher: PasswordHasher;
  /** Woken after the commit (notices queued); without it the worker's poll finds them. */
  readonly outbox?: { wake(): void };
  readonly metrics?: Metrics;
  /** Where a directory's refusal (unreachable, not allowed) is logged with its diagnostic. */
  readonly log?: Logger;
  readonly writer?: CredentialWriter;
}

export interface CredentialChangeRequest {
  readonly path: CredentialPath;
  /** The account as the path found it (vetting uses it; the transaction reads it again). */
  readonly account: Account;
  readonly tenant: Tenant | null;
  readonly password: string;
  /** The audit actor: `self`, `admin:<id>`, `operator:<id>`, `api_key:<id>`, `cli`… */
  readonly actor: string;
  readonly rc: RequestContext | null;
  /** The person must change it at next sign-in (CLI `--must-change`; always for a temporary password). */
  readonly mustChangePassword?: boolean;
  /** How long a temporary password works (path `temp-password` only; required there). */
  readonly temporaryTtlMs?: number;
  /** The path's own details for the audit event (`by`, `flow`, `issuedBy`…). */
  readonly auditDetails?: AuditDetails;
  /** The flow this change completes (not ended with the others). */
  readonly exceptFlowId?: string | null;
  /** The admin who acted, when one did (not told about their own action). */
  readonly actingAccountId?: string | null;
  /** For other admins' notice on every path but self-service: what happened and who did it. */
  readonly adminNotice?: { readonly what: string; readonly by: string };
}

/** A directory's refusal of the write is one code per refusal (core/directory-refusals.ts). */
export type CredentialChangeError = PasswordProblem | 'password_reused' | 'account_not_found' | DirectoryWriteError;

export interface CredentialChangeEffects {
  readonly account: Account;
  readonly sessionsRevoked: number;
  /** The account's own addresses that got a notice. */
  readonly recipients: number;
  readonly now: number;
}

export interface CredentialChangeHooks<T, R, E extends string> {
  /**
   * Directory accounts only: a read-only look at the path's own step before the password goes to
   * the directory (the flow still waits for a password, the link is still live), so a stale page
   * does not change the password in the directory and then fail. `before` checks again in the
   * transaction; the directory write cannot be rolled back, so this is what keeps the two apart.
   */
  readonly precheck?: (repos: Repos, now: number) => Promise<Result<unknown, E>>;
  /** The path's own step, first in the transaction; a refusal rolls everything back. */
  readonly before?: (tx: Repos, now: number) => Promise<Result<T, E>>;
  /** The path's own writes after the change, in the same transaction (a fresh session, the view…). */
  readonly after?: (tx: Repos, value: T, effects: CredentialChangeEffects) => Promise<R>;
}

export class CredentialChange {
  readonly #writer: CredentialWriter;

  constructor(private readonly d: CredentialChangeDeps) {
    this.#writer = d.writer ?? builtinCredentialWriter;
  }

  /** The password policy and the history, for an account that exists; the normalized password. */
  async vet(
    account: Account,
    tenant: Tenant | null,
    password: string,
    methods?: readonly Method[],
    directoryMinLength: number | null = null,
  ): Promise<Result<string, PasswordProblem | 'password_reused'>> {
    const list = methods ?? (await this.d.store.directory.listMethods(account.id));
    const checked = checkPassword(password, {
      // sspr's policy is never weaker than the directory's
      minLength: effectiveMinLength(minLengthOf(tenant), directoryMinLength),
      personal: personalWords({
        login: account.login,
        displayName: account.displayName,
        tenantName: tenant?.name ?? null,
        emails: list.filter((m) => m.kind === 'email').map((m) => m.value),
      }),
    });
    if (!checked.ok) return checked;
    const recent = [
      ...(account.passwordHash ? [account.passwordHash] : []),
      ...(await this.d.store.passwordHistory.recent(account.id, PASSWORD_HISTORY_LENGTH)),
    ];
    for (const h of recent) {
      if (await this.d.hasher.verify(h, checked.value)) {
        return err('password_reused', 'This password was used recently; choose another one.');
      }
    }
    return checked;
  }

  /** The first password of an account being created: the same policy (no history yet), hashed. */
  async hashFirst(input: {
    readonly login: string;
    readonly displayName: string;
    readonly tenant: Tenant;
    readonly password: string;
  }): Promise<Result<string, PasswordProblem>> {
    const checked = checkPassword(input.password, {
      minLength: minLengthOf(input.tenant),
      personal: personalWords({
        login: input.login,
        displayName: input.displayName,
        tenantName: input.tenant.name,
        emails: [],
      }),
    });
    if (!checked.ok) return checked;
    return ok(await this.d.hasher.hash(checked.value));
  }

  /**
   * Vets, hashes, and changes the password in one transaction with everything it ends and tells.
   *
   * Directory accounts (an `externalId`, in a tenant with a directory): the password goes to the
   * directory, found by its stable id (renames followed), and sspr keeps no password of its own
   * (`passwordHash` stays null). The order is what makes a refusal harmless:
   * 1. the directory's rules are read (cached per tenant) and sspr's policy takes the stricter
   *    minimum length; sspr's own history (argon2 hashes of passwords set through sspr) is checked,
   *    also where the directory skips its history on resets;
   * 2. `precheck` looks at the path's own step, read-only (the flow still waits for a password);
   * 3. the directory write, OUTSIDE any database transaction (no write lock across a network call).
   *    A refusal ends here: an audit event `directory.write_refused` keeps the diagnostic for the
   *    admin, the caller gets one error code per refusal, and nothing else moved — no flow
   *    completed, no session revoked, no notice queued — so the person can try another password;
   * 4. the transaction as for every account, recording the new hash in the password history.
   *    Should it fail after the directory accepted (a race with another request), the audit log
   *    says that the directory already has the new password (`directory.write_unrecorded`).
   */
  async change<T = undefined, R = undefined, E extends string = never>(
    req: CredentialChangeRequest,
    hooks: CredentialChangeHooks<T, R, E> = {},
  ): Promise<Result<{ value: T; after: R; effects: CredentialChangeEffects }, E | CredentialChangeError>> {
    const methods = await this.d.store.directory.listMethods(req.account.id);
    const passwords = new DirectoryPasswords(this.d);
    const found = await passwords.target(req.account);
    if (!found.ok) return this.refused(passwords, req, null, found.error, found.detail);
    const target = found.value;
    if (target?.entry.disabled)
      return this.refused(passwords, req, target, 'disabled', 'the directory entry is disabled');
    const rules = target ? await passwords.rules(target.directory, target.entry) : null;
    const vetted = await this.vet(req.account, req.tenant, req.password, methods, rules?.minLength ?? null);
    if (!vetted.ok) return vetted;
    // argon2id, off the event loop, and outside the transaction so no write lock waits for it
    const hash = await this.d.hasher.hash(vetted.value);
    const rule = CREDENTIAL_PATHS[req.path];
    const temporary = req.path === 'temp-password';
    const mustChangePassword = temporary || (req.mustChangePassword ?? false);
    if (target) {
      if (hooks.precheck) {
        const step = await hooks.precheck(this.d.store, this.d.clock.now());
        if (!step.ok) return step;
      }
      const written = await passwords.write(target, vetted.value, mustChangePassword);
      if (!written.ok) return this.refused(passwords, req, target, written.error, written.detail);
    }
    const now = this.d.clock.now();
    let result: Result<{ value: T; after: R; effects: CredentialChangeEffects }, E | CredentialChangeError>;
    try {
      result = await this.d.store.transaction(
        async (
          tx,
        ): Promise<Result<{ value: T; after: R; effects: CredentialChangeEffects }, E | CredentialChangeError>> => {
          let value = undefined as T;
          if (hooks.before) {
            const step = await hooks.before(tx, now);
            if (!step.ok) return step;
            value = step.value;
          }
          const current = await tx.directory.getAccount(req.account.id);
          if (!current) return err('account_not_found');
          if (current.passwordHash) await tx.passwordHistory.add(current.id, current.passwordHash, now);
          // a directory account: the directory has the password; sspr remembers its hash for its own history
          if (target) await tx.passwordHistory.add(current.id, hash, now);
          const updated = target
            ? await tx.directory.updateAccount(current.id, { passwordHash: null, mustChangePassword }, now)
            : await this.#writer.write(tx, current, hash, mustChangePassword, now);
          if (!updated) return err('account_not_found');
          // what the old password opened ends with it
          if (temporary) {
            await tx.admin.setTempPassword({
              accountId: current.id,
              passwordHash: hash,
              createdAt: now,
              expiresAt: now + (req.temporaryTtlMs ?? 0),
            });
          } else {
            await tx.admin.clearTempPassword(current.id);
          }
          const sessionsRevoked = await tx.directory.revokeSessions(current.id, now);
          await tx.flows.endAccountFlows(current.id, req.exceptFlowId ?? null, now);
          await tx.admin.endLinks(current.id, now);
          if (rule.provesIdentity) {
            await tx.lockouts.clearGuard(current.id);
            await tx.auth.clearSigninGuard(current.id);
          }
          const base = { at: now, tenantId: current.tenantId, accountId: current.id, actor: req.actor, rc: req.rc };
          await appendAudit(tx, {
            ...base,
            type: rule.event,
            outcome: 'ok',
            details: {
              ...req.auditDetails,
              ...(temporary ? { expiresAt: now + (req.temporaryTtlMs ?? 0) } : {}),
              ...(rule.sessionsAudit === 'detail' ? { sessionsRevoked } : {}),
              ...(target ? { directory: target.directory.kind } : {}),
            },
          });
          if (rule.sessionsAudit === 'event') {
            await appendAudit(tx, {
              ...base,
              type: 'sessions.revoked',
              outcome: 'ok',
              details: { count: sessionsRevoked },
            });
          }
          const recipients = await this.queueNotices(tx, req, rule, updated, methods, now);
          const effects: CredentialChangeEffects = { account: updated, sessionsRevoked, recipients, now };
          const after = hooks.after ? await hooks.after(tx, value, effects) : (undefined as R);
          return ok({ value, after, effects });
        },
      );
    } catch (e) {
      if (target) await this.unrecorded(req, target, e instanceof Error ? e.name : 'error');
      throw e;
    }
    if (!result.ok && target) await this.unrecorded(req, target, result.error);
    if (result.ok) this.d.outbox?.wake();
    return result;
  }

  /** The directory refused (or could not be asked): kept for the admin; the caller gets the refusal's code. */
  private async refused(
    passwords: DirectoryPasswords,
    req: CredentialChangeRequest,
    target: DirectoryTarget | null,
    refusal: Parameters<typeof directoryWriteError>[0],
    diagnostic: string | undefined,
  ): Promise<Result<never, DirectoryWriteError>> {
    await this.d.store.transaction((tx) =>
      passwords.recordRefusal(tx, {
        account: req.account,
        directory: target?.directory ?? null,
        refusal,
        diagnostic,
        path: req.path,
        actor: req.actor,
        rc: req.rc,
      }),
    );
    return err(directoryWriteError(refusal));
  }

  /** The directory took the new password but sspr's transaction did not commit: say so for the admin. */
  private async unrecorded(req: CredentialChangeRequest, target: DirectoryTarget, reason: string): Promise<void> {
    this.d.log?.warn(
      { event: 'directory.write_unrecorded', kind: target.directory.kind, path: req.path, reason },
      'the directory accepted a new password but sspr did not record the change',
    );
    await this.d.store
      .transaction((tx) =>
        appendAudit(tx, {
          at: this.d.clock.now(),
          tenantId: req.account.tenantId,
          accountId: req.account.id,
          actor: req.actor,
          rc: req.rc,
          type: 'directory.write_unrecorded',
          outcome: 'error',
          details: { path: req.path, reason, note: 'the directory already has the new password' },
        }),
      )
      .catch(() => undefined);
  }

  /** Notices: to the account's login and verified emails; to other admins per the path's rule. */
  private async queueNotices(
    tx: Repos,
    req: CredentialChangeRequest,
    rule: PathRule,
    account: Account,
    methods: readonly Method[],
    now: number,
  ): Promise<number> {
    const when = new Date(now).toISOString();
    const ip = req.rc?.ip ?? 'unknown';
    const helpText = req.tenant ? helpTextOf(req.tenant) : 'Contact your administrator.';
    const emails = methods.filter((m) => m.kind === 'email' && m.verifiedAt !== null).map((m) => m.value);
    const recipients = new Set([account.login, ...emails]);
    const content =
      rule.accountNotice === 'admin.temp_password'
        ? renderEmail('admin.temp_password', {
            displayName: account.displayName,
            login: account.login,
            when,
            hours: Math.round((req.temporaryTtlMs ?? 0) / 3_600_000),
            helpText,
          })
        : renderEmail('reset.completed', {
            displayName: account.displayName,
            login: account.login,
            when,
            ip,
            helpText,
          });
    const base = { tenantId: account.tenantId, expiresAt: null, now };
    for (const to of recipients) {
      await enqueueEmail(tx, this.d, { ...base, accountId: account.id, template: rule.accountNotice, to, content });
      this.d.metrics?.messageQueued('email', rule.accountNotice);
    }
    if (rule.otherAdmins === 'always' || isAdminRole(account.role)) {
      const accounts = await tx.directory.listAccounts({ tenantId: account.tenantId, limit: 1000 });
      for (const other of accounts) {
        if (!isAdminRole(other.role) || !other.enabled || other.id === account.id) continue;
        if (other.id === req.actingAccountId) continue;
        const template = req.adminNotice ? 'admin.reset_notice' : 'reset.admin_notice';
        const notice = req.adminNotice
          ? renderEmail('admin.reset_notice', {
              displayName: other.displayName,
              targetLogin: account.login,
              targetName: account.displayName,
              what: req.adminNotice.what,
              by: req.adminNotice.by,
              when,
            })
          : renderEmail('reset.admin_notice', {
              displayName: other.displayName,
              adminLogin: account.login,
              adminName: account.displayName,
              when,
              ip,
            });
        await enqueueEmail(tx, this.d, { ...base, accountId: other.id, template, to: other.login, content: notice });
        this.d.metrics?.messageQueued('email', template);
      }
    }
    return recipients.size;
  }
}

function minLengthOf(tenant: Tenant | null): number {
  return tenant?.policy.passwordMinLength ?? DEFAULT_TENANT_POLICY.passwordMinLength;
}

/** Where to get help, in a notice: message help.contact of the catalogue (core/message-templates). */
export function helpTextOf(tenant: Tenant): string {
  return helpText(tenant.policy);
}
