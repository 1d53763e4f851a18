import type { DirectoryProvider } from '../ports/directory-provider.ts';
import type { Actor, Denial } from '../core/admin-rules.ts';
import type { ContactError, MethodKind } from '../core/contact.ts';
import type { Account, Role, TenantPolicy } from '../core/directory-model.ts';
import type { ResetPolicy } from '../core/reset-policy.ts';
import { err, type Result } from '../core/result.ts';
import type { Clock } from '../ports/clock.ts';
import type { Keyring } from '../ports/keyring.ts';
import type { PasswordHasher } from '../ports/password-hasher.ts';
import type { Random } from '../ports/random.ts';
import type { Store } from '../ports/store.ts';
import { AccountAdministration, type AddAccountResult, type NewAccountInput } from './account-administration.ts';
import { AccountChanges, type Change, type ChangeError, type PrefillOutcome } from './account-changes.ts';
import {
  AssistedLinks,
  type AssistedResetError,
  type AssistedResetMode,
  type AssistedResetOutcome,
} from './admin-assisted-links.ts';
import {
  AdminUserQueries,
  type FailedMessages,
  type UserCounts,
  type UserDetail,
  type UserFilter,
  type UserSummary,
} from './admin-user-queries.ts';
import { AssistedResetService } from './assisted-reset-service.ts';
import { AdminUnlock, type AdminUnlockError, type DirectoryLockState } from './admin-unlock.ts';
import type { RequestContext } from './request-context.ts';
import type { CallerGate } from './caller-verification-service.ts';
import type { CallerRefusal } from '../core/caller-verification.ts';
import { TenantPolicyAdmin, type GateCoverageReport, type UpdatePolicyResult } from './tenant-policy.ts';

export * from './account-administration.ts';
export type { Change, PrefillOutcome } from './account-changes.ts';
export * from './admin-assisted-links.ts';
export * from './admin-user-queries.ts';
export * from './tenant-policy.ts';
export type { AdminUnlockError, DirectoryLockState } from './admin-unlock.ts';

/**
 * The admin console's use cases, shared by the console pages, the support console and the admin
 * API: a small façade over its parts — user queries (`admin-user-queries.ts`), assisted resets
 * (`admin-assisted-links.ts`: a link or a temporary password), account administration
 * (`account-administration.ts`, with the role change and pre-fill of `account-changes.ts` that
 * the command line shares) and tenant policy (`tenant-policy.ts`). Every method asks
 * `src/core/admin-rules.ts` first; a refused mutation is audited (`admin.denied`) and changes
 * nothing. Every change is written with its audit event (actor `admin:<id>`, `operator:<id>` or
 * `api_key:<id>`) and its notices in one transaction.
 */
export interface AdminDeps {
  /** The tenants' directories (OpenLDAP, AD); absent: every tenant keeps its passwords in sspr. */
  readonly directories?: DirectoryProvider;
  readonly store: Store;
  readonly keyring: Keyring;
  readonly random: Random;
  readonly clock: Clock;
  readonly hasher: PasswordHasher;
  readonly outbox: { wake(): void };
  /** Links in emails are built from this, never from a request's Host header. */
  readonly publicUrl: string;
  /** The self-service block's length (an account is "blocked" while it runs). */
  readonly resetPolicy: Pick<ResetPolicy, 'blockMs'>;
  /**
   * The help desk's caller verification (caller-verification-service.ts): an assisted reset, an
   * unblock and an unlock need a verified caller first. `createApp` always wires it.
   */
  readonly callers?: CallerGate;
}

export class AdminService {
  /** Redemption of assisted reset links by the person who received one (the `/reset/assisted` pages). */
  readonly assisted: AssistedResetService;
  private readonly queries: AdminUserQueries;
  private readonly links: AssistedLinks;
  private readonly accounts: AccountAdministration;
  private readonly changes: AccountChanges;
  private readonly policy: TenantPolicyAdmin;
  private readonly unlocking: AdminUnlock;

  constructor(private readonly d: AdminDeps) {
    this.assisted = new AssistedResetService(d);
    const { store, clock } = d;
    this.queries = new AdminUserQueries({
      directory: store.directory,
      lockouts: store.lockouts,
      admin: store.admin,
      audit: store.audit,
      outbox: store.outbox,
      clock,
      resetPolicy: d.resetPolicy,
    });
    this.links = new AssistedLinks(d);
    this.accounts = new AccountAdministration(d);
    this.changes = new AccountChanges(d);
    this.policy = new TenantPolicyAdmin(d);
    this.unlocking = new AdminUnlock(d);
  }

  // ---- reading -------------------------------------------------------------------------

  listUsers(actor: Actor, filter: UserFilter): Promise<Result<UserSummary[], Denial>> {
    return this.queries.listUsers(actor, filter);
  }

  /** Totals for the users page (registration coverage, blocked accounts, admins). */
  userCounts(actor: Actor): Promise<Result<UserCounts, Denial>> {
    return this.queries.userCounts(actor);
  }

  /** The tenant's messages the outbox marked failed lately (see `AdminUserQueries.failedMessages`). */
  failedMessages(actor: Actor): Promise<Result<FailedMessages, Denial>> {
    return this.queries.failedMessages(actor);
  }

  getUser(actor: Actor, accountId: string): Promise<Result<UserDetail, Denial | 'account_not_found'>> {
    return this.queries.getUser(actor, accountId);
  }

  activeAdminCount(tenantId: string): Promise<number> {
    return this.queries.activeAdminCount(tenantId);
  }

  // ---- admin-assisted reset ------------------------------------------------------------

  /**
   * Resets another person's password: a one-time link or a temporary password (see
   * `AssistedLinks.assistedReset`).
   */
  assistedReset(
    actor: Actor,
    accountId: string,
    mode: AssistedResetMode,
    rc: RequestContext,
  ): Promise<Result<AssistedResetOutcome, AssistedResetError>> {
    return this.links.assistedReset(actor, accountId, mode, rc);
  }

  // ---- account management --------------------------------------------------------------

  /** Lifts the account's self-service block (and its failure count). */
  unblock(
    actor: Actor,
    accountId: string,
    rc: RequestContext,
  ): Promise<Result<void, Denial | CallerRefusal | 'account_not_found'>> {
    return this.accounts.unblock(actor, accountId, rc);
  }

  /** Resets another administrator's console second factor (account-administration.ts); verified caller first. */
  resetSecondFactor(
    actor: Actor,
    accountId: string,
    rc: RequestContext,
  ): Promise<Result<void, Denial | CallerRefusal | 'account_not_found' | 'not_administrator'>> {
    return this.accounts.resetSecondFactor(actor, accountId, rc);
  }

  /** The account's lock in its directory, read now (`not_directory` for a built-in account). */
  directoryLock(actor: Actor, accountId: string): Promise<Result<DirectoryLockState, Denial | 'account_not_found'>> {
    return this.unlocking.lockState(actor, accountId);
  }

  /** Unlocks a directory account without changing its password (admin-unlock.ts); audited, the person told. */
  unlockInDirectory(
    actor: Actor,
    accountId: string,
    via: 'console' | 'api' | 'support',
    rc: RequestContext,
  ): Promise<Result<{ wasLocked: boolean }, AdminUnlockError>> {
    return this.unlocking.unlock(actor, accountId, via, rc);
  }

  /** Pre-fills the account's alternate email or mobile phone: the one pre-fill (`AccountChanges`). */
  async prefillMethod(
    actor: Actor,
    accountId: string,
    kind: MethodKind,
    value: string,
    rc: RequestContext,
  ): Promise<Result<PrefillOutcome, ChangeError | ContactError>> {
    const target = await this.d.store.directory.getAccount(accountId);
    if (!target) return err('account_not_found');
    return this.changes.prefillMethod(actor, target, kind, value, rc);
  }

  /** Changes the account's role: the one role change (`AccountChanges`). */
  async setRole(
    actor: Actor,
    accountId: string,
    role: Role,
    rc: RequestContext,
  ): Promise<Result<Change<Account>, ChangeError>> {
    const target = await this.d.store.directory.getAccount(accountId);
    if (!target) return err('account_not_found');
    return this.changes.setRole(actor, target, role, rc);
  }

  /** Adds an account to the actor's tenant (the console's "Add an account"). */
  addAccount(actor: Actor, input: NewAccountInput, rc: RequestContext): Promise<AddAccountResult> {
    return this.accounts.addAccount(actor, input, rc);
  }

  // ---- tenant policy -------------------------------------------------------------------

  getPolicy(actor: Actor): Promise<Result<TenantPolicy, Denial>> {
    return this.policy.getPolicy(actor);
  }

  /** Who could reset under the gate policy, saved or with `proposed` fields (see `TenantPolicyAdmin.gateCoverage`). */
  gateCoverage(actor: Actor, proposed?: Readonly<Record<string, string>>): Promise<Result<GateCoverageReport, Denial>> {
    return this.policy.gateCoverage(actor, proposed);
  }

  /** Changes the fields present in `input` (see `TenantPolicyAdmin.updatePolicy`). */
  updatePolicy(actor: Actor, input: Readonly<Record<string, string>>, rc: RequestContext): Promise<UpdatePolicyResult> {
    return this.policy.updatePolicy(actor, input, rc);
  }
}
