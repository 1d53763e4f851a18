import type { FlowState, Gate } from '../core/reset-flow.ts';
import type { MessageKind } from '../core/sending-limits.ts';

/** How many replaced codes of a channel a typed code is compared with (the newest ones). */
export const SUPERSEDED_CHECKED = 20;

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
  /** The proofs each gate accepts (core/gate-policy `planFor`); null or absent: a flow started by an older release. */
  readonly accepts?: readonly (readonly Gate[])[] | null;
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
  /**
   * What a typed code is checked against, in one read: the channel's live code (as `liveCode`)
   * and the codes a newer code replaced and nobody used, newest first (at most SUPERSEDED_CHECKED).
   */
  codesToCheck(flowId: string, channel: Gate): Promise<{ live: CodeRecord | null; superseded: CodeRecord[] }>;

  /**
   * Messages queued for an account on a channel since `since` (sending limits); with `kind`, only
   * code/link messages (they have a lifetime) or only notices (none), as core's `messageKind` says.
   */
  countMessages(filter: {
    accountId?: string;
    tenantId?: string;
    channel: 'email' | 'sms';
    kind?: MessageKind;
    since: number;
  }): Promise<number>;
}
