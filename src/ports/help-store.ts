/**
 * Help requests and Technical Support tickets: one table, two queues. A request for the tenant's
 * administrators is in the `admins` queue; one from a tenant's only active administrator (or a
 * tenant without any) is in the operator's `support` queue. Requests that lead nowhere (unknown or
 * disabled logins) are kept as `none`/`void` so that every submission does the same work.
 */
export type HelpQueue = 'admins' | 'support' | 'none';
export type HelpStatus = 'open' | 'resolved' | 'dismissed' | 'void';
export type HelpResolution = 'reset_link' | 'temp_password' | 'dismissed' | 'promoted' | 'second_factor_reset';

export interface NewHelpRequest {
  readonly id: string;
  /** Shown to the requester, e.g. `SUP-7K4Q-9XW2`; unique. */
  readonly reference: string;
  readonly tenantId: string | null;
  readonly accountId: string | null;
  readonly queue: HelpQueue;
  readonly status: HelpStatus;
  /** The requester's message, sealed by the Keyring (null when the request leads nowhere). */
  readonly messageSealed: string | null;
  readonly now: number;
}

export interface HelpRequestRecord {
  readonly id: string;
  readonly reference: string;
  readonly tenantId: string | null;
  readonly accountId: string | null;
  readonly queue: HelpQueue;
  readonly status: HelpStatus;
  readonly messageSealed: string | null;
  readonly createdAt: number;
  /** Support tickets: when and by whom (audit actor name) the requester's identity was checked, and how. */
  readonly verifiedAt: number | null;
  readonly verifiedBy: string | null;
  readonly verificationNote: string | null;
  readonly resolvedAt: number | null;
  readonly resolvedBy: string | null;
  readonly resolution: HelpResolution | null;
  /** The reason of a dismissal (never a secret). */
  readonly resolutionNote: string | null;
}

export interface HelpFilter {
  readonly tenantId?: string;
  readonly queue?: HelpQueue;
  readonly statuses?: readonly HelpStatus[];
  readonly accountId?: string;
  /** Only requests created at or after this time. */
  readonly since?: number;
  readonly limit?: number;
}

export interface HelpRepo {
  create(r: NewHelpRequest): Promise<void>;
  get(id: string): Promise<HelpRequestRecord | null>;
  referenceExists(reference: string): Promise<boolean>;
  /** The record of a reference (a help request, or an error page's reference: `none`/`void`). */
  findByReference(reference: string): Promise<HelpRequestRecord | null>;
  /** Newest first. */
  list(filter: HelpFilter): Promise<HelpRequestRecord[]>;
  /** Records how the requester was verified; only while the request is open. True when it applied. */
  recordVerification(id: string, by: string, note: string, now: number): Promise<boolean>;
  /**
   * Closes an open request (`resolved` or `dismissed`) in one conditional statement; true when it
   * was still open (exactly one of two racing resolutions wins).
   */
  close(
    id: string,
    c: {
      readonly status: 'resolved' | 'dismissed';
      readonly resolution: HelpResolution;
      readonly by: string;
      readonly note: string | null;
      readonly now: number;
    },
  ): Promise<boolean>;
}
