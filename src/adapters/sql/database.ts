import type { Generated } from 'kysely';

/**
 * Row shapes of the SQL schema as Kysely sees them (see `migrations.ts` for the DDL). The same
 * shapes hold on SQLite and PostgreSQL: times are integer milliseconds since the epoch (`bigint`,
 * read back as numbers), booleans are integers 0/1, JSON is text.
 */
export interface Database {
  tenants: TenantsTable;
  tenant_directories: TenantDirectoriesTable;
  tenant_looks: TenantLooksTable;
  tenant_domains: TenantDomainsTable;
  accounts: AccountsTable;
  methods: MethodsTable;
  sessions: SessionsTable;
  console_signins: ConsoleSigninsTable;
  recovery_codes: RecoveryCodesTable;
  operator_authenticators: OperatorAuthenticatorsTable;
  outbox: OutboxTable;
  audit_events: AuditEventsTable;
  audit_chain_heads: AuditChainHeadsTable;
  audit_checkpoints: AuditCheckpointsTable;
  flows: FlowsTable;
  flow_codes: FlowCodesTable;
  verification_failures: VerificationFailuresTable;
  account_blocks: AccountBlocksTable;
  password_history: PasswordHistoryTable;
  captcha_used: CaptchaUsedTable;
  signin_guard: SigninGuardTable;
  help_requests: HelpRequestsTable;
  operators: OperatorsTable;
  operator_sessions: OperatorSessionsTable;
  operator_signin_guard: OperatorSigninGuardTable;
  security_info_pending: SecurityInfoPendingTable;
  security_info_prompts: SecurityInfoPromptsTable;
  authenticators: AuthenticatorsTable;
  passkeys: PasskeysTable;
  operator_passkeys: OperatorPasskeysTable;
  passkey_challenges: PasskeyChallengesTable;
  caller_verifications: CallerVerificationsTable;
  call_checks: CallChecksTable;
  caller_approvals: CallerApprovalsTable;
  assisted_links: AssistedLinksTable;
  temp_passwords: TempPasswordsTable;
  api_keys: ApiKeysTable;
  rate_limits: RateLimitsTable;
}

/** rate-limiter-flexible counters of the embedded limiter (0010; see sql-limit-repo.ts). */
export interface RateLimitsTable {
  key: string;
  points: number;
  /** End of the window (ms); null: no expiry. */
  expire: number | null;
}

export interface TenantsTable {
  id: string;
  name: string;
  /** TenantPolicy as JSON text. */
  policy: string;
  created_at: number;
  updated_at: number;
}

export interface TenantDomainsTable {
  domain: string;
  tenant_id: string;
}

export interface AccountsTable {
  id: string;
  tenant_id: string;
  login: string;
  display_name: string;
  /** `display_name.toLowerCase()`: lets search be case-insensitive beyond ASCII on both dialects. */
  display_name_lower: string;
  role: string;
  enabled: number;
  password_hash: string | null;
  must_change_password: number;
  /** The directory's stable id (entryUUID, objectGUID); null for accounts kept in sspr. */
  external_id: string | null;
  /** The language saved by the signed-in person (core/i18n LOCALES); null: none. Added by 0017. */
  locale: string | null;
  created_at: number;
  updated_at: number;
}

export interface TenantDirectoriesTable {
  tenant_id: string;
  /** DirectorySettings as JSON text (the bind password only as its env:/file: reference). */
  settings: string;
  updated_at: number;
}

/** A tenant's look and words (core/tenant-look.ts); the logo as its re-encoded PNG. */
export interface TenantLooksTable {
  tenant_id: string;
  display_name: string | null;
  primary_colour: string | null;
  /** Lower case, no port; unique across tenants (null for many). */
  host: string | null;
  /** `{ "<locale>": "<note>" }` as JSON text. */
  start_notes: string;
  logo_hash: string | null;
  logo_width: number | null;
  logo_height: number | null;
  logo_png: Uint8Array | null;
  /** One of core/i18n LOCALES; null: English. Added by 0018. */
  default_locale: string | null;
  /** An IANA time zone name; null: UTC. Added by 0018. */
  time_zone: string | null;
  updated_at: number;
}

export interface MethodsTable {
  account_id: string;
  kind: string;
  value: string;
  verified_at: number | null;
  created_at: number;
  updated_at: number;
  /** When a method that replaced another may be used for a reset (0006); null: at once. */
  usable_from: Generated<number | null>;
}

export interface SessionsTable {
  id_hash: string;
  account_id: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  revoked_at: number | null;
}

export interface OutboxTable {
  id: string;
  tenant_id: string | null;
  account_id: string | null;
  channel: string;
  template: string;
  recipient_sealed: string | null;
  payload_sealed: string | null;
  status: string;
  attempts: number;
  next_attempt_at: number;
  expires_at: number | null;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
  /** When the message reached sent, failed or expired (for pruning and the failed-message list). */
  finished_at: number | null;
  claimed_by: string | null;
  claimed_until: number | null;
  /** The code the message carries (flow_codes.id or security_info_pending.id; 0012), null otherwise. */
  code_id: string | null;
}

export interface AuditEventsTable {
  id: Generated<number>;
  at: number;
  tenant_id: string | null;
  account_id: string | null;
  actor: string;
  type: string;
  outcome: string;
  ip: string | null;
  user_agent: string | null;
  /** JSON object as text. */
  details: string;
  /** The event's place in its tenant's chain (1, 2, …); null: not chained (0019; core/audit-chain.ts). */
  seq: number | null;
  /** The hash of the event before it (or the genesis / a checkpoint's). */
  prev_hash: string | null;
  /** SHA-256(prev_hash ‖ canonical event), hex. */
  hash: string | null;
}

/** Per audit chain (tenant id, '' for none): the newest event and the last verification (0019). */
export interface AuditChainHeadsTable {
  chain: string;
  seq: number;
  hash: string;
  verified_at: number | null;
  /** The newest place the last verification checked. */
  verified_seq: number | null;
  /** JSON: null when the chain was intact, else the break (core ChainBreak). */
  verify_result: string | null;
}

/** What a retention purge removed from a chain, signed (0019). */
export interface AuditCheckpointsTable {
  chain: string;
  /** The last removed event's place and hash: the chain goes on from here. */
  seq: number;
  hash: string;
  removed: number;
  at: number;
  /** HMAC (keyring, purpose `audit-checkpoint`) of core checkpointText. */
  mac: string;
}

export interface FlowsTable {
  id: string;
  tenant_id: string | null;
  account_id: string | null;
  deliverable: number;
  login: string;
  /** Comma-separated gates, e.g. `email,sms`. */
  gates: string;
  /** The proofs each gate accepts (0025): gates `|`-separated, proofs comma-separated; null: a flow of an older release. */
  gate_accepts: string | null;
  passed: number;
  state: string;
  binding_hash: string;
  prev_binding_hash: string | null;
  prev_binding_until: number | null;
  masked_email: string;
  created_at: number;
  first_sent_at: number | null;
  last_sent_at: number | null;
  codes_sent: number;
  completed_at: number | null;
  ip: string | null;
  user_agent: string | null;
  version: number;
}

export interface FlowCodesTable {
  id: string;
  flow_id: string;
  channel: string;
  code_hash: string;
  link_hash: string | null;
  sent_at: number;
  expires_at: number;
  attempts: number;
  used_at: number | null;
  superseded_at: number | null;
}

export interface VerificationFailuresTable {
  account_id: string;
  at: number;
}

export interface AccountBlocksTable {
  account_id: string;
  blocked_at: number;
}

export interface PasswordHistoryTable {
  account_id: string;
  hash: string;
  created_at: number;
}

export interface CaptchaUsedTable {
  signature: string;
  expires_at: number;
}

export interface SigninGuardTable {
  account_id: string;
  failures: number;
  last_failure_at: number;
}

/** Admin API keys (0009_api_keys). `scopes` is space-separated; only the HMAC of the secret is kept. */
export interface ApiKeysTable {
  id: string;
  tenant_id: string;
  name: string;
  scopes: string;
  secret_hash: string;
  created_by: string;
  created_at: number;
  last_used_at: number | null;
  expires_at: number | null;
  revoked_at: number | null;
  revoked_by: string | null;
}

/** One-time assisted reset links issued by an admin or operator (0007_admin); only HMACs of secrets. */
export interface AssistedLinksTable {
  id: string;
  tenant_id: string;
  account_id: string;
  token_hash: string;
  actor: string;
  password_hash_at_issue: string | null;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  grant_hash: string | null;
  grant_expires_at: number | null;
  completed_at: number | null;
  superseded_at: number | null;
}

/** Expiry of an admin-set temporary password (0007_admin), valid while it is the account's password. */
export interface TempPasswordsTable {
  account_id: string;
  password_hash: string;
  created_at: number;
  expires_at: number;
}

export interface SecurityInfoPendingTable {
  id: string;
  account_id: string;
  session_hash: string;
  kind: string;
  value: string;
  purpose: string;
  code_hash: string;
  sent_at: number;
  expires_at: number;
  attempts: number;
  codes_sent: number;
  used_at: number | null;
  superseded_at: number | null;
  created_at: number;
}

/** Authenticator apps (TOTP; 0021_authenticators): the secret sealed by the Keyring. */
export interface AuthenticatorsTable {
  id: string;
  account_id: string;
  secret_sealed: string;
  session_hash: string;
  created_at: number;
  confirmed_at: number | null;
  attempts: number;
  /** The time step of the last accepted code. */
  last_step: number | null;
}

/** Pending console sign-ins (0024_console_factors): a password passed, the second step not yet. */
export interface ConsoleSigninsTable {
  id_hash: string;
  owner_kind: string;
  owner_id: string;
  created_at: number;
  expires_at: number;
  attempts: number;
  done_at: number | null;
}

/** Recovery codes of the consoles' second factor (0024_console_factors): HMACs only. */
export interface RecoveryCodesTable {
  id: string;
  owner_kind: string;
  owner_id: string;
  code_hash: string;
  created_at: number;
  used_at: number | null;
}

/** Operators' authenticator apps (0024_console_factors): as `authenticators`, owned by an operator. */
export interface OperatorAuthenticatorsTable {
  id: string;
  operator_id: string;
  secret_sealed: string;
  session_hash: string;
  created_at: number;
  confirmed_at: number | null;
  attempts: number;
  last_step: number | null;
}

/** The help desk's caller verifications (0022_caller_checks): the code only as an HMAC. */
export interface CallerVerificationsTable {
  id: string;
  tenant_id: string;
  account_id: string;
  actor: string;
  code_hash: string | null;
  created_at: number;
  expires_at: number;
  attempts: number;
  verified_at: number | null;
  /** 0027_caller_passkey: `code`, `authenticator`, `passkey`; null on rows an older release wrote. */
  way: string | null;
  ticket_hash: string | null;
  ticket_sealed: string | null;
}

/** Reverse checks of help-desk calls (0022_caller_checks): the phrase only as an HMAC. */
export interface CallChecksTable {
  id: string;
  tenant_id: string;
  account_id: string;
  actor: string;
  agent_name: string;
  organisation: string;
  phrase_hash: string;
  created_at: number;
  expires_at: number;
  confirmed_at: number | null;
  flagged_at: number | null;
}

/** A second operator's approval of Technical Support acting on an administrator (0022_caller_checks). */
export interface CallerApprovalsTable {
  id: string;
  tenant_id: string;
  account_id: string;
  requested_by: string;
  created_at: number;
  approved_by: string | null;
  approved_at: number | null;
}

/** Passkeys (WebAuthn; 0023_passkeys): each credential's public key and signature counter. */
export interface PasskeysTable {
  id: string;
  account_id: string;
  credential_id: string;
  public_key: string;
  counter: number;
  /** Comma-separated. */
  transports: string;
  name: string;
  created_at: number;
  last_used_at: number | null;
}

/** Passkey challenges (0023_passkeys): the HMAC only, bound to a session or a flow, used once. */
/** Operators' passkeys (0026): the columns of `passkeys` with the operator as owner. */
export interface OperatorPasskeysTable extends Omit<PasskeysTable, 'account_id'> {
  operator_id: string;
}

export interface PasskeyChallengesTable {
  id: string;
  challenge_hash: string;
  purpose: string;
  binding: string;
  account_id: string | null;
  /** The operator a challenge was made for (0026); null for accounts' and the reset's. */
  operator_id: Generated<string | null>;
  created_at: number;
  expires_at: number;
  used_at: number | null;
}

export interface SecurityInfoPromptsTable {
  session_hash: string;
  account_id: string;
  at: number;
}

/** Help requests and support tickets (0008_help_support). The message is sealed by the Keyring. */
export interface HelpRequestsTable {
  id: string;
  reference: string;
  tenant_id: string | null;
  account_id: string | null;
  queue: string;
  status: string;
  message_sealed: string | null;
  created_at: number;
  verified_at: number | null;
  verified_by: string | null;
  verification_note: string | null;
  resolved_at: number | null;
  resolved_by: string | null;
  resolution: string | null;
  resolution_note: string | null;
}

/** Operators (Technical Support), their sessions and sign-in throttling (0008_help_support). */
export interface OperatorsTable {
  id: string;
  login: string;
  display_name: string;
  password_hash: string;
  created_at: number;
}

export interface OperatorSessionsTable {
  id_hash: string;
  operator_id: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  revoked_at: number | null;
}

export interface OperatorSigninGuardTable {
  operator_id: string;
  failures: number;
  last_failure_at: number;
}
