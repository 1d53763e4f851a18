import type { MethodKind } from './contact.ts';
import { DEFAULT_GATE_POLICY, type GatePolicy } from './gate-policy.ts';

/** The directory as sspr sees it: tenants own domains; accounts belong to exactly one tenant. */
export type Role = 'user' | 'admin' | 'global_admin';
export const ROLES: readonly Role[] = ['user', 'admin', 'global_admin'];
export const isAdminRole = (role: Role): boolean => role !== 'user';

export interface TenantPolicy {
  /**
   * The reset gates of users and of administrators (core/gate-policy): which methods count, how many
   * gates, whether a passkey is required. Stored with the two switches an older release reads
   * (`userGates`, `adminsRequirePasskey`: core/gate-policy `storedGatePolicy`, `legacyGateSwitches`).
   */
  readonly gates: GatePolicy;
  readonly passwordMinLength: number;
  readonly helpdeskUrl: string | null;
  readonly helpdeskEmail: string | null;
  /** Text messages the tenant may be sent per rolling 24 h (all accounts together). */
  readonly smsDailyBudget: number;
  /** E.164 prefixes SMS may go to (e.g. `+44`, `+1`); null: any country. */
  readonly smsCountries: readonly string[] | null;
  /** Hours a method that REPLACED another may not be used for a reset (first registrations are usable at once). */
  readonly coolingOffHours: number;
  /** Days after which a verified method must be re-confirmed (prompted after sign-in). */
  readonly reconfirmDays: number;
  /** The From display name of the tenant's emails, e.g. "Contoso IT"; null: the name in `SSPR_MAIL_FROM`. */
  readonly senderName: string | null;
}

export const DEFAULT_TENANT_POLICY: TenantPolicy = {
  gates: DEFAULT_GATE_POLICY,
  passwordMinLength: 15,
  helpdeskUrl: null,
  helpdeskEmail: null,
  smsDailyBudget: 500,
  smsCountries: null,
  coolingOffHours: 24,
  reconfirmDays: 180,
  senderName: null,
};

export interface Tenant {
  readonly id: string;
  readonly name: string;
  readonly domains: readonly string[];
  readonly policy: TenantPolicy;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface Account {
  readonly id: string;
  readonly tenantId: string;
  /** Normalised user principal name (NFKC, lower case). */
  readonly login: string;
  readonly displayName: string;
  readonly role: Role;
  readonly enabled: boolean;
  /** argon2id PHC string; null until a password is set. */
  readonly passwordHash: string | null;
  readonly mustChangePassword: boolean;
  /**
   * The account's stable id in the tenant's directory (`entryUUID`, `objectGUID` as a lowercase
   * UUID); null for an account kept in sspr's own store. Renames in the directory are followed by it.
   */
  readonly externalId: string | null;
  /**
   * The language the person chose while signed in (one of core/i18n LOCALES): their pages and
   * messages use it. Absent or null: none saved.
   */
  readonly locale?: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface Method {
  readonly accountId: string;
  readonly kind: MethodKind;
  readonly value: string;
  readonly verifiedAt: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** A method that replaced another may be used for a reset only from then on (cooling-off); null: at once. */
  readonly usableFrom: number | null;
}

export interface Session {
  /** HMAC of the session secret; the secret itself is only in the cookie. */
  readonly idHash: string;
  readonly accountId: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly expiresAt: number;
  readonly revokedAt: number | null;
}
