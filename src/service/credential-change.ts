import type { DirectoryProvider } from '../ports/directory-provider.ts';
import { effectiveMinLength, type DirectoryWriteError } from '../core/directory-refusals.ts';
import { DEFAULT_TENANT_POLICY, type Account, type Method, type Tenant } from '../core/directory-model.ts';
import {
  checkPassword,
  personalWords,
  PASSWORD_HISTORY_LENGTH,
  type PasswordProblem,
} from '../core/password-policy.ts';
import type { NoticeWords } from '../core/message-templates.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { Clock } from '../ports/clock.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { Logger } from '../ports/logger.ts';
import type { Metrics } from '../ports/metrics.ts';
import type { PasswordHasher } from '../ports/password-hasher.ts';
import type { Random } from '../ports/random.ts';
import type { Repos, Store } from '../ports/store.ts';
import { CredentialDirectoryStep } from './credential-directory-step.ts';
import { queueCredentialNotices } from './credential-notices.ts';
import { CREDENTIAL_PATHS, type CredentialPath } from './credential-paths.ts';
import { appendAudit, type AuditDetails, type RequestContext } from './request-context.ts';

export { CREDENTIAL_PATHS, type CredentialPath, type PathRule } from './credential-paths.ts';

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
  readonly adminNotice?: { readonly what: NoticeWords; readonly by: NoticeWords };
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
 * What differs per path is data, in `CREDENTIAL_PATHS` (credential-paths.ts) — not code. A
 * directory account's steps outside the transaction (find, precheck, write, refusals) are in
 * credential-directory-step.ts; the notices in credential-notices.ts.
 */
export class CredentialChange {
  readonly #writer: CredentialWriter;
  readonly #directory: CredentialDirectoryStep;

  constructor(private readonly d: CredentialChangeDeps) {
    this.#writer = d.writer ?? builtinCredentialWriter;
    this.#directory = new CredentialDirectoryStep(d);
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
    const found = await this.#directory.find(req);
    if (!found.ok) return found;
    const { target, minLength } = found.value;
    const vetted = await this.vet(req.account, req.tenant, req.password, methods, minLength);
    if (!vetted.ok) return vetted;
    // argon2id, off the event loop, and outside the transaction so no write lock waits for it
    const hash = await this.d.hasher.hash(vetted.value);
    const rule = CREDENTIAL_PATHS[req.path];
    const temporary = req.path === 'temp-password';
    const mustChangePassword = temporary || (req.mustChangePassword ?? false);
    if (target) {
      const written = await this.#directory.write(req, target, vetted.value, mustChangePassword, hooks.precheck);
      if (!written.ok) return written;
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
          const recipients = await queueCredentialNotices(tx, this.d, req, rule, updated, methods, now);
          const effects: CredentialChangeEffects = { account: updated, sessionsRevoked, recipients, now };
          const after = hooks.after ? await hooks.after(tx, value, effects) : (undefined as R);
          return ok({ value, after, effects });
        },
      );
    } catch (e) {
      if (target) await this.#directory.unrecorded(req, target, e instanceof Error ? e.name : 'error');
      throw e;
    }
    if (!result.ok && target) await this.#directory.unrecorded(req, target, result.error);
    if (result.ok) this.d.outbox?.wake();
    return result;
  }
}

function minLengthOf(tenant: Tenant | null): number {
  return tenant?.policy.passwordMinLength ?? DEFAULT_TENANT_POLICY.passwordMinLength;
}
