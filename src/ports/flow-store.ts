import type { FlowState, Gate } from '../core/reset-flow.ts';

/**
 * Storage of reset flows, their codes and the per-account guards. Single use and attempt limits
 * hold under races because the store does them in one conditional statement each
 * (`countAttempt`, `consumeCode`, `update` with a version check).
 */
export interface FlowRecord {
  readonly id: string;
  /** Null when the login matched no tenant. */
  readonly tenantId: string | null;
  /** Null when the login matched no account (the flow still runs, and sends nothing). */
  readonly accountId: string | null;
  /** Whether messages may be sent for this flow: a real, enabled account with an alternate email. */
  readonly deliverable: boolean;
  readonly login: string;
  readonly gates: readonly Gate[];
  readonly passed: number;
  readonly state: FlowState;
  /** HMAC of the browser-binding secret held in the flow cookie (or returned to an API client). */
  readonly bindingHash: string;
  /** The secret before the last rotation, accepted for a short grace (a double-clicked button). */
  readonly prevBindingHash: string | null;
  readonly prevBindingUntil: number | null;
  /** Email mask shown on the first page: the real one, or a stable decoy for unknown accounts. */
  readonly maskedEmail: string;
  readonly createdAt: number;
  readonly firstSentAt: number | null;
  readonly lastSentAt: number | null;
  readonly codesSent: number;
  readonly completedAt: number | null;
  readonly ip: string | null;
  readonly userAgent: string | null;
  /** Incremented by every update; updates name the version they read. */
  readonly version: number;
}

export type FlowPatch = Partial<
  Pick<
    FlowRecord,
    | 'passed'
    | 'state'
    | 'bindingHash'
    | 'prevBindingHash'
    | 'prevBindingUntil'
    | 'firstSentAt'
    | 'lastSentAt'
    | 'codesSent'
    | 'completedAt'
  >
>;

export interface CodeRecord {
  readonly id: string;
  readonly flowId: string;
  readonly channel: Gate;
  readonly codeHash: string;
  /** Email codes come with a link; its token's HMAC. */
  readonly linkHash: string | null;
  readonly sentAt: number;
  readonly expiresAt: number;
  readonly attempts: number;
  readonly usedAt: number | null;
  readonly supersededAt: number | null;
}

export type NewCode = Omit<CodeRecord, 'attempts' | 'usedAt' | 'supersededAt'>;

export interface FlowRepo {
  create(flow: FlowRecord): Promise<void>;
  get(id: string): Promise<FlowRecord | null>;
  /** Applies `patch` only if the flow is still at `version`; returns the new record, or null if another request won. */
  update(id: string, version: number, patch: FlowPatch): Promise<FlowRecord | null>;

  /**
   * Stores a new code for the flow and supersedes every earlier live code of the flow (a resend
   * kills the previous code). `supersede: false` skips that step, for the first code of a flow
   * created in the same transaction. `discard: true` runs the same insert but stores nothing: a
   * reset start for a login that gets nothing does the same work as one that sends (issue 9, item 6).
   */
  issueCode(code: NewCode, options?: { readonly supersede?: boolean; readonly discard?: boolean }): Promise<void>;
  /** The flow's live code for a channel: not used, not superseded (possibly expired or out of attempts). */
  liveCode(flowId: string, channel: Gate): Promise<CodeRecord | null>;
  findByLinkHash(linkHash: string): Promise<CodeRecord | null>;
  /** Counts one attempt if fewer than `max` were made and the code is live; returns the new count, or null when none is left. */
  countAttempt(codeId: string, max: number): Promise<number | null>;
  getCode(id: string): Promise<CodeRecord | null>;
  /** Marks the code used; true for exactly one caller. */
  consumeCode(codeId: string, now: number): Promise<boolean>;
  /** After a successful reset: supersedes every live code and expires every other open flow of the account. */
  endAccountFlows(accountId: string, exceptFlowId: string | null, now: number): Promise<void>;
  /**
   * A new start ends the old ones: supersedes the live codes of, and expires, every open flow of
   * `accountId` and every open flow started for `login` without an account. Two statements whatever
   * matches (a start for an unknown login passes a placeholder id that no account has).
   */
  endEarlierFlows(login: string, accountId: string, now: number): Promise<void>;
  /** The same for the open flows of a login that matched no account (a block of an unknown login ends them alike). */
  endLoginFlows(login: string, now: number): Promise<void>;
  /** The flow's codes on a channel that a newer code replaced (not used), newest first. */
  supersededCodes(flowId: string, channel: Gate): Promise<CodeRecord[]>;

  /**
   * Serialises the attempt guard of one subject (an account, or an unknown login's key) until the
   * transaction ends: parallel checks of the account's codes, spread over several flows, then
   * read the block and the failure count one after another. Call it inside a transaction.
   */
  lockGuard(subject: string): Promise<void>;

  /**
   * The attempt guard: failures and blocks are kept per subject — an account id, or for a login
   * that matched no account the service's keyed hash of the login (`login:<hmac>`).
   */
  recordFailure(accountId: string, now: number): Promise<void>;
  countFailures(accountId: string, since: number): Promise<number>;
  /** Starts a self-service block unless one is running; returns the block's start. */
  block(accountId: string, now: number): Promise<void>;
  blockedAt(accountId: string): Promise<number | null>;
  /** Clears failures and any block (after a successful reset, or an admin's unblock). */
  clearGuard(accountId: string): Promise<void>;

  /** Messages queued for an account on a channel since `since` (sending limits). */
  countMessages(filter: {
    accountId?: string;
    tenantId?: string;
    channel: 'email' | 'sms';
    since: number;
  }): Promise<number>;

  /** Domains of the tenant's registered alternate emails, one entry per account (at most `limit`), for decoy masks. */
  alternateEmailDomains(tenantId: string, limit: number): Promise<string[]>;

  /** Records a used CAPTCHA solution; false when it was used before. Expired ones are purged (PurgeService). */
  markCaptchaUsed(signature: string, expiresAt: number): Promise<boolean>;

  addPasswordHistory(accountId: string, hash: string, now: number): Promise<void>;
  /** The account's most recent password hashes, newest first. */
  recentPasswordHashes(accountId: string, limit: number): Promise<string[]>;
}
