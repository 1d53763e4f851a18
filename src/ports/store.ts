import type { AuditChainRepo } from './audit-chain-store.ts';
import type { MethodKind } from '../core/contact.ts';
import type { DeliveryHealthRepo } from './delivery-health.ts';
import type { Account, Method, Role, Session, Tenant, TenantPolicy } from '../core/directory-model.ts';
import type { DirectorySettings } from '../core/directory-settings.ts';
import type { Result } from '../core/result.ts';
import type { FlowRepo } from './flow-store.ts';
import type { CaptchaRepo, LockoutRepo, PasswordHistoryRepo } from './guard-store.ts';
import type { AuthRepo } from './auth-store.ts';
import type { SecurityInfoRepo } from './security-info-store.ts';
import type { AuthenticatorRepo } from './authenticator-store.ts';
import type { ConsoleFactorRepo } from './console-factor-store.ts';
import type { PasskeyRepo } from './passkey-store.ts';
import type { CallerCheckRepo } from './caller-check-store.ts';
import type { AdminRepo } from './admin-store.ts';
import type { ApiKeyRepo } from './api-key-store.ts';
import type { HelpRepo } from './help-store.ts';
import type { OperatorRepo } from './operator-store.ts';
import type { InsightsRepo } from './insights-store.ts';
import type { LimitRepo } from './limit-store.ts';
import type { TenantLookRepo } from './tenant-look-store.ts';

/**
 * Persistence contracts. One SQL implementation serves SQLite and PostgreSQL; every adapter is
 * checked by the same contract suite (test/contract/). Everything one step changes is written
 * through the repos handed to `Store.transaction`, so it commits or rolls back as one.
 */

export interface NewTenant {
  readonly id: string;
  readonly name: string;
  readonly domains: readonly string[];
  readonly policy: TenantPolicy;
  readonly now: number;
}

export interface NewAccount {
  readonly id: string;
  readonly tenantId: string;
  readonly login: string;
  readonly displayName: string;
  readonly role: Role;
  readonly enabled: boolean;
  readonly passwordHash: string | null;
  readonly mustChangePassword: boolean;
  /** The directory's stable id, for an account that comes from the tenant's directory. */
  readonly externalId?: string | null;
  readonly now: number;
}

export type AccountPatch = Partial<
  Pick<Account, 'login' | 'displayName' | 'role' | 'enabled' | 'passwordHash' | 'mustChangePassword' | 'locale'>
>;

export interface AccountFilter {
  readonly tenantId?: string;
  readonly role?: Role;
  /** Substring of login or display name, case-insensitive. */
  readonly search?: string;
  /** Only accounts that come from the tenant's directory (an external id). */
  readonly fromDirectory?: boolean;
  /**
   * Keyset paging: only accounts whose login sorts after this one (the list is ordered by login);
   * give the last login of a page to get the next page.
   */
  readonly afterLogin?: string;
  readonly limit?: number;
}

export interface StoredDirectorySettings {
  readonly settings: DirectorySettings;
  readonly updatedAt: number;
}

/** The attempt guard a reset start's lookup may take (DirectoryRepo `findLoginContext`). */
export interface LoginGuard {
  /** The tenant the caller expects the login's domain to belong to (null: none). */
  readonly tenantId: string | null;
  /** The guard's subject for the login when it has no account and its domain belongs to `tenantId`. */
  readonly loginSubject: string;
}

export interface DirectoryRepo {
  createTenant(t: NewTenant): Promise<Result<Tenant, 'tenant_exists' | 'domain_taken'>>;
  getTenant(id: string): Promise<Tenant | null>;
  findTenantByName(name: string): Promise<Tenant | null>;
  findTenantByDomain(domain: string): Promise<Tenant | null>;
  listTenants(): Promise<Tenant[]>;
  updateTenantPolicy(id: string, policy: TenantPolicy, now: number): Promise<boolean>;
  /** The tenant's directory settings (as stored: the secret only as its reference); null: builtin. */
  getTenantDirectory(tenantId: string): Promise<StoredDirectorySettings | null>;
  /** Sets (or, with null, removes: back to builtin) the tenant's directory. */
  setTenantDirectory(tenantId: string, settings: DirectorySettings | null, now: number): Promise<void>;

  createAccount(a: NewAccount): Promise<Result<Account, 'login_taken'>>;
  getAccount(id: string): Promise<Account | null>;
  findAccountByLogin(normalizedLogin: string): Promise<Account | null>;
  /**
   * What a reset start reads about a typed login, the same reads for every login: the login's
   * account (or null), the tenant of `domain` (or null), and the methods of the account — of
   * `noAccount` (which has none) when there is no account. One statement on PostgreSQL.
   * `guard` (PostgreSQL): in the same statement, when `domain`'s tenant is `guard.tenantId`, it
   * takes the attempt guard (LockoutRepo `lockGuard`) of the account, or of `guard.loginSubject`
   * when there is none, and returns that subject as `guarded`; otherwise (and on SQLite) `guarded`
   * is null and the caller takes the guard itself.
   */
  findLoginContext(
    normalizedLogin: string,
    domain: string,
    noAccount: string,
    guard?: LoginGuard,
  ): Promise<{ account: Account | null; tenantOfDomain: Tenant | null; methods: Method[]; guarded: string | null }>;
  /** The account that a directory's stable id names in the tenant. */
  findAccountByExternalId(tenantId: string, externalId: string): Promise<Account | null>;
  listAccounts(filter: AccountFilter): Promise<Account[]>;
  /** Returns the updated account, or null when it does not exist. */
  updateAccount(id: string, patch: AccountPatch, now: number): Promise<Account | null>;
  countActiveAdmins(tenantId: string): Promise<number>;

  /** Inserts or replaces the account's method of that kind. */
  setMethod(
    accountId: string,
    kind: MethodKind,
    value: string,
    verifiedAt: number | null,
    now: number,
  ): Promise<Method>;
  removeMethod(accountId: string, kind: MethodKind): Promise<boolean>;
  listMethods(accountId: string): Promise<Method[]>;
  /** Domains of the tenant's registered alternate emails, one entry per account (at most `limit`), for decoy masks. */
  alternateEmailDomains(tenantId: string, limit: number): Promise<string[]>;

  createSession(s: Omit<Session, 'revokedAt'>): Promise<void>;
  getSession(idHash: string): Promise<Session | null>;
  touchSession(idHash: string, now: number): Promise<void>;
  /** Revokes every live session of the account; returns how many. */
  revokeSessions(accountId: string, now: number): Promise<number>;
}

export type OutboxChannel = 'email' | 'sms';
export type OutboxStatus = 'pending' | 'sending' | 'sent' | 'failed' | 'expired';

export interface NewOutboxMessage {
  readonly id: string;
  readonly tenantId: string | null;
  readonly accountId: string | null;
  readonly channel: OutboxChannel;
  /** Template id, e.g. `reset.code` — kept after sending, for the audit trail. */
  readonly template: string;
  /** Destination, sealed by the Keyring. */
  readonly recipientSealed: string;
  /** Rendered content, sealed by the Keyring; erased once sent, failed or expired. */
  readonly payloadSealed: string;
  /** When the content stops being worth delivering (a code's lifetime); null for notices. */
  readonly expiresAt: number | null;
  /**
   * The code the message carries (a reset code's or a security-info registration's id), so the
   * worker can drop it at send time once that code is no longer the one to use. Null otherwise.
   */
  readonly codeId?: string | null;
  /**
   * True: run the same insert but store nothing (a reset start for a login that gets nothing does
   * the same work as one that sends; issue 9, item 6). Nothing is ever sent for it.
   */
  readonly discard?: boolean;
  /**
   * Stored as already ended (status `expired`, this reason as its error, no content kept) and never
   * sent: a notice over its account's notice cap (core/sending-limits.ts, `noticeRefusal`).
   */
  readonly refused?: string;
  readonly now: number;
}

export interface OutboxMessage {
  readonly id: string;
  readonly tenantId: string | null;
  readonly accountId: string | null;
  readonly channel: OutboxChannel;
  readonly template: string;
  readonly recipientSealed: string | null;
  readonly payloadSealed: string | null;
  readonly status: OutboxStatus;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly expiresAt: number | null;
  readonly lastError: string | null;
  readonly createdAt: number;
  readonly sentAt: number | null;
  readonly claimedBy: string | null;
  readonly claimedUntil: number | null;
  /** The code the message carries, if any (see NewOutboxMessage.codeId). */
  readonly codeId: string | null;
  /** When it ended (sent, failed or expired); null while pending or sending. */
  readonly finishedAt: number | null;
}

/**
 * What a worker learned of one claimed message, to record with the others of its batch
 * (`OutboxRepo.recordOutcomes`). `pending`: try again at `nextAttemptAt` (content kept);
 * `sent`, `failed`, `expired`: ended, content erased.
 */
export interface OutboxOutcome {
  readonly id: string;
  readonly status: 'pending' | 'sent' | 'failed' | 'expired';
  /** Tries counted so far (unchanged for an expiry: the stored count stays). */
  readonly attempts: number;
  /** For `pending`: when to try again. */
  readonly nextAttemptAt?: number;
  /** For `pending` and `failed`: why (never a recipient or content). */
  readonly error?: string | null;
  /** When the outcome was reached (sent_at for `sent`, finished_at for an end). */
  readonly at: number;
}

export interface OutboxRepo {
  enqueue(m: NewOutboxMessage): Promise<void>;
  /**
   * Claims up to `limit` messages that are due (pending with next_attempt_at ≤ now, or sending
   * with an expired claim) for `worker` until `claimUntil`. Two workers never claim the same row.
   */
  claimDue(worker: string, now: number, claimUntil: number, limit: number): Promise<OutboxMessage[]>;
  /** Each completion applies only while `worker` still holds the claim; returns whether it did. */
  markSent(id: string, worker: string, now: number): Promise<boolean>;
  markRetry(id: string, worker: string, attempts: number, nextAttemptAt: number, error: string): Promise<boolean>;
  markFailed(id: string, worker: string, attempts: number, error: string, now: number): Promise<boolean>;
  markExpired(id: string, worker: string, now: number): Promise<boolean>;
  /**
   * Records the outcomes of a batch in one statement; each applies only while `worker` still
   * holds its claim (like the mark* calls, which it replaces for a batch). Returns the ids applied.
   */
  recordOutcomes(worker: string, outcomes: readonly OutboxOutcome[]): Promise<Set<string>>;
  /**
   * codeIsCurrent for each code message of a batch (in the items' order), in at most two statements.
   */
  currentCodes(
    items: readonly { readonly codeId: string; readonly queuedAt: number }[],
    now: number,
  ): Promise<boolean[]>;
  /** Pending messages counted up to 1000, and the oldest one's created_at: one capped read, no content loaded. */
  backlog(): Promise<{ readonly pending: number; readonly oldestCreatedAt: number | null }>;
  /** Gives back the claims of a worker that is shutting down. */
  release(worker: string): Promise<number>;
  get(id: string): Promise<OutboxMessage | null>;
  list(filter: { status?: OutboxStatus; limit?: number }): Promise<OutboxMessage[]>;
  /** Earliest next_attempt_at among pending messages, to schedule the next wake-up. */
  nextDueAt(): Promise<number | null>;
  /**
   * Whether the code `codeId`, carried by a message queued at `queuedAt`, is still the one to
   * deliver at `now`: a reset code that is not used, not superseded, not expired and whose flow has
   * not ended; or a security-info registration likewise, whose code was not reissued (a resend)
   * after `queuedAt`. False for an unknown id (purged).
   */
  codeIsCurrent(codeId: string, queuedAt: number, now: number): Promise<boolean>;
  /** Messages marked failed since `since` (of one tenant, or all), for the console and a metric; counted up to 1000. */
  countFailed(filter: { tenantId?: string; since: number }): Promise<number>;
  /** The newest messages marked failed since `since` (of one tenant, or all), newest first. */
  listFailed(filter: { tenantId?: string; since: number; limit?: number }): Promise<OutboxMessage[]>;
}

export interface AuditEventInput {
  readonly at: number;
  readonly tenantId: string | null;
  readonly accountId: string | null;
  /** Who acted: `self`, `cli`, `system`, `admin:<id>`, `operator:<id>`. */
  readonly actor: string;
  /** Stable event type, e.g. `account.created`, `reset.requested`. */
  readonly type: string;
  readonly outcome: string;
  readonly ip: string | null;
  readonly userAgent: string | null;
  /** Never a secret. */
  readonly details: Readonly<Record<string, string | number | boolean | null>>;
}

export interface AuditEvent extends AuditEventInput {
  readonly id: number;
}

export interface AuditFilter {
  readonly tenantId?: string;
  readonly accountId?: string;
  readonly type?: string;
  readonly outcome?: string;
  readonly since?: number;
  readonly until?: number;
  readonly limit?: number;
}

export interface AuditRepo {
  /**
   * Appends the event to its tenant's hash chain (core/audit-chain.ts): locks the chain's head,
   * links to its hash, stores place, link and hash. Inside the caller's transaction when called on
   * one; alone it runs in a transaction of its own.
   */
  append(e: AuditEventInput): Promise<void>;
  /**
   * Appends several events in order, each to its tenant's chain, as `append` would one by one, in
   * two statements whatever their number (the chains' heads, then one insert of all the events).
   */
  appendMany(events: readonly AuditEventInput[]): Promise<void>;
  list(filter: AuditFilter): Promise<AuditEvent[]>;
}

export interface Repos {
  readonly directory: DirectoryRepo;
  readonly outbox: OutboxRepo;
  readonly audit: AuditRepo;
  /** The audit log's hash chains: verification and retention (audit-chain-store.ts). */
  readonly auditChain: AuditChainRepo;
  readonly flows: FlowRepo;
  readonly lockouts: LockoutRepo;
  readonly captchas: CaptchaRepo;
  readonly passwordHistory: PasswordHistoryRepo;
  readonly auth: AuthRepo;
  readonly securityInfo: SecurityInfoRepo;
  /** Authenticator apps (TOTP), their sealed secrets and last accepted steps. */
  readonly authenticators: AuthenticatorRepo;
  /** Operators' authenticator apps: the same contract over their own table (`accountId` is the operator's id). */
  readonly operatorAuthenticators: AuthenticatorRepo;
  /** The consoles' second factor: pending console sign-ins and recovery codes (console-factor-store.ts). */
  readonly consoleFactors: ConsoleFactorRepo;
  /** Passkeys (WebAuthn): public keys and counters per account, and single-use challenges. */
  readonly passkeys: PasskeyRepo;
  /** Technical Support operators' passkeys (the PasskeyRepo contract over their own table; `accountId` is the operator's id). */
  readonly operatorPasskeys: PasskeyRepo;
  /** The help desk's caller verifications, reverse checks and second-operator approvals. */
  readonly callerChecks: CallerCheckRepo;
  readonly admin: AdminRepo;
  readonly apiKeys: ApiKeyRepo;
  readonly help: HelpRepo;
  readonly operators: OperatorRepo;
  readonly insights: InsightsRepo;
  readonly limits: LimitRepo;
  /** Each tenant's look and words (tenant-look-store.ts). */
  readonly looks: TenantLookRepo;
}

/**
 * How hard a commit must reach the disk before `transaction` returns.
 * - `full` (the default): durable at commit, even against a power loss.
 * - `relaxed`: for steps a person can simply repeat — asking for a code, checking one, claiming
 *   or recording the delivery of a message, a CAPTCHA's single-use record. On SQLite the commit is
 *   not fsynced (WAL with `synchronous = NORMAL`: safe against crashes of sspr and against
 *   corruption; a power loss or an OS crash may undo the last such commits, never half of one).
 *   On PostgreSQL the transaction commits with `synchronous_commit = off`: a crash of the database
 *   server may undo the last such commits (at most three `wal_writer_delay`s), never half of one.
 * Credentials, sessions, roles, policies and everything an administrator does stay `full`.
 */
export type Durability = 'full' | 'relaxed';

export interface TransactionOptions {
  readonly durability?: Durability;
}

export interface Store extends Repos {
  readonly dialect: 'sqlite' | 'postgres';
  /** What the outbox says about each delivery channel (outside transactions: a read every few seconds). */
  readonly deliveryHealth: DeliveryHealthRepo;
  /** Runs `fn` in one database transaction; everything it writes commits or rolls back together. */
  transaction<T>(fn: (tx: Repos) => Promise<T>, options?: TransactionOptions): Promise<T>;
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
