import type { Result } from '../core/result.ts';
import type { TenantLogo, TenantLook } from '../core/tenant-look.ts';

/** A tenant's re-encoded logo: its PNG bytes and what the page needs to show it. */
export interface StoredLogo extends TenantLogo {
  readonly png: Uint8Array;
}

/**
 * A tenant's look and words (core/tenant-look.ts), one row per tenant. A tenant without a row
 * has `EMPTY_LOOK`. The host is unique across tenants: one address, one tenant.
 */
export interface TenantLookRepo {
  /** The tenant's look (EMPTY_LOOK when none was saved). */
  getLook(tenantId: string): Promise<TenantLook>;
  /** The tenant whose look names this host (lower case, no port), with its look; null: none. */
  findByHost(host: string): Promise<{ readonly tenantId: string; readonly look: TenantLook } | null>;
  /** Saves everything but the logo (kept as it is). `host_taken`: another tenant has that host. */
  saveLook(tenantId: string, look: TenantLook, now: number): Promise<Result<void, 'host_taken'>>;
  /** Sets (or with null removes) the logo, leaving the rest of the look as it is. */
  setLogo(tenantId: string, logo: StoredLogo | null, now: number): Promise<void>;
  /** The logo's PNG when `hash` is the tenant's current logo; null otherwise. */
  getLogo(tenantId: string, hash: string): Promise<StoredLogo | null>;
}
