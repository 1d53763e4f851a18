import type { CallerWay } from '../core/caller-verification.ts';

/**
 * Storage of the help desk's caller verifications, reverse checks and second-operator approvals
 * (core/caller-verification.ts has the rules). Codes and phrases are stored only as HMACs. Every
 * step that must happen once is one conditional statement: `countAttempt` (`attempts < max`),
 * `markVerified` (`verified_at IS NULL`), `confirmCallCheck` (`confirmed_at IS NULL`, not expired),
 * `flagCallCheck` (`flagged_at IS NULL`), `approve` (`approved_at IS NULL`, another operator).
 */
export interface CallerVerificationRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly accountId: string;
  /** Who asked (`admin:<id>`, `operator:<id>`, `api_key:<id>`): the proof counts for them only. */
  readonly actor: string;
  /** HMAC of `${id}:${code}` (purpose `caller-code`); null when no code was sent (authenticator app, passkey). */
  readonly codeHash: string | null;
  /** How the caller proves it (core `CallerWay`); a row an older release wrote reads `code`, or `authenticator` without a code. */
  readonly way: CallerWay;
  /** The passkey way: HMAC of the ticket (purpose `caller-ticket`), the public page finds it by it; else null. */
  readonly ticketHash: string | null;
  /** The passkey way: the ticket sealed by the Keyring, so the agent's console can show it while it is open; else null. */
  readonly ticketSealed: string | null;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly attempts: number;
  readonly verifiedAt: number | null;
}

export interface CallCheckRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly accountId: string;
  readonly actor: string;
  /** The agent as the person called sees them: name and organisation. */
  readonly agentName: string;
  readonly organisation: string;
  /** HMAC of the phrase (purpose `call-check`): the public page looks a phrase up by it. */
  readonly phraseHash: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly confirmedAt: number | null;
  /** When it was audited as an unconfirmed call. */
  readonly flaggedAt: number | null;
}

export interface ApprovalRecord {
  readonly id: string;
  readonly tenantId: string;
  readonly accountId: string;
  /** The operator who asks (`operator:<id>`). */
  readonly requestedBy: string;
  readonly createdAt: number;
  readonly approvedBy: string | null;
  readonly approvedAt: number | null;
}

export interface CallerCheckRepo {
  createVerification(
    v: Omit<CallerVerificationRecord, 'attempts' | 'verifiedAt' | 'way' | 'ticketHash' | 'ticketSealed'> &
      Partial<Pick<CallerVerificationRecord, 'way' | 'ticketHash' | 'ticketSealed'>>,
  ): Promise<void>;
  /** The verification whose passkey ticket has this HMAC, or null. */
  findByTicket(ticketHash: string): Promise<CallerVerificationRecord | null>;
  /** The actor's latest verification of this account (started or confirmed), or null. */
  latestVerification(actor: string, accountId: string): Promise<CallerVerificationRecord | null>;
  getVerification(id: string): Promise<CallerVerificationRecord | null>;
  /** Counts one attempt if fewer than `max` were made and it is not verified yet; the new count, or null. */
  countAttempt(id: string, max: number): Promise<number | null>;
  /** Marks it verified; true for exactly one caller. */
  markVerified(id: string, now: number): Promise<boolean>;
  /** The latest time this actor verified this account's caller, or null. */
  lastVerifiedAt(actor: string, accountId: string): Promise<number | null>;

  createCallCheck(c: Omit<CallCheckRecord, 'confirmedAt' | 'flaggedAt'>): Promise<void>;
  findCallCheck(phraseHash: string): Promise<CallCheckRecord | null>;
  /** The actor's latest reverse check of this account, or null. */
  latestCallCheck(actor: string, accountId: string): Promise<CallCheckRecord | null>;
  /** Confirms an open check (not confirmed, `now < expiresAt`); true for exactly one caller. */
  confirmCallCheck(id: string, now: number): Promise<boolean>;
  /** Checks past their lifetime, never confirmed and not flagged yet (oldest first). */
  unconfirmedCallChecks(now: number, limit: number): Promise<CallCheckRecord[]>;
  /** Records that the unconfirmed check was audited; true for exactly one caller. */
  flagCallCheck(id: string, now: number): Promise<boolean>;

  createApproval(a: Omit<ApprovalRecord, 'approvedBy' | 'approvedAt'>): Promise<void>;
  getApproval(id: string): Promise<ApprovalRecord | null>;
  /** Requests no one approved yet, created at or after `since` (newest first). */
  openApprovals(since: number, limit: number): Promise<ApprovalRecord[]>;
  /** Approves by `approver` if not approved yet and not asked by `approver`; true for exactly one caller. */
  approve(id: string, approver: string, now: number): Promise<boolean>;
  /** When a request of `requestedBy` for this account was last approved by another operator, or null. */
  lastApprovedAt(requestedBy: string, accountId: string): Promise<number | null>;
}
