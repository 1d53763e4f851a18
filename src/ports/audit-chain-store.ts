import type { AuditCheckpoint, ChainBreak, ChainRow, UnchainedRows } from '../core/audit-chain.ts';

/** A chain's head as the store keeps it: the newest event, and the last verification. */
export interface AuditChainHeadState {
  readonly chain: string;
  readonly seq: number;
  readonly hash: string;
  readonly verifiedAt: number | null;
  /** The newest place the last verification reached. */
  readonly verifiedSeq: number | null;
  /** Null when the last verification found the chain intact (or none ran). */
  readonly verifyBreak: ChainBreak | null;
}

export interface StoredCheckpoint extends AuditCheckpoint {
  /** HMAC of core `checkpointText` under the keyring's `audit-checkpoint` key. */
  readonly mac: string;
}

/** Where a page of a chain walk starts after (place, then id). */
export interface ChainCursor {
  readonly seq: number;
  readonly id: number;
}

/**
 * The audit hash chains (core/audit-chain.ts): reads for `sspr audit verify`, the verification's
 * record, and the retention purge's removal with its signed checkpoint. Appending is the audit
 * repo's `append`, which chains every event in the caller's transaction.
 */
export interface AuditChainRepo {
  /** Every chain key there may be: each head, each tenant, and `''` (events of no tenant). Sorted. */
  chains(): Promise<string[]>;
  head(chain: string): Promise<AuditChainHeadState | null>;
  /** Chained rows after `after` (all when null), by place then id; at most `limit`. */
  page(chain: string, after: ChainCursor | null, limit: number): Promise<ChainRow[]>;
  /**
   * The chain's rows with no place, link or hash (not written by this release's append), split by
   * core `unchainedKind` against the chain's oldest chained row: how many are legacy (written
   * before the chain existed) and the oldest one inserted after it began.
   */
  unchained(chain: string): Promise<UnchainedRows>;
  /** The checkpoint with the highest place: where verification starts. */
  latestCheckpoint(chain: string): Promise<StoredCheckpoint | null>;
  /** Keeps the verification's time, the place it reached and its verdict on the chain's head (created if missing). */
  recordVerification(chain: string, at: number, seq: number, broken: ChainBreak | null): Promise<void>;
  /**
   * Deletes the chain's events up to and including `checkpoint.seq` and stores the checkpoint;
   * returns how many rows went. Run it inside a transaction.
   */
  removeThrough(checkpoint: StoredCheckpoint): Promise<number>;
}
