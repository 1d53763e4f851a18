import { emailSenderName, EMPTY_LOOK, type TenantLook } from '../core/tenant-look.ts';
import type { Clock } from '../ports/clock.ts';
import type { Store } from '../ports/store.ts';
import type { StoredLogo } from '../ports/tenant-look-store.ts';

/** What a tenant's emails carry besides their content: the From display name and the look. */
export interface TenantMail {
  readonly fromName: string | null;
  readonly look: Pick<TenantLook, 'displayName' | 'primaryColour'>;
  /** The re-encoded logo (PNG), sent inline with each email; null: none. */
  readonly logo: StoredLogo | null;
  /** The tenant's own address (look `host`): its emails' links point there; null: SSPR_PUBLIC_URL. */
  readonly host: string | null;
}

const NO_TENANT_MAIL: TenantMail = { fromName: null, look: EMPTY_LOOK, logo: null, host: null };

/** How long a tenant's sender name and look are kept before they are read again. */
const TENANT_MAIL_TTL_MS = 60_000;
/** Tenants kept at most (each with its logo, up to a few hundred KiB): a worker serving many tenants stays bounded. */
const MAX_TENANTS = 200;

/**
 * What a tenant's emails carry, read at send time (at most once a minute per tenant): the From
 * display name (policy `senderName`, else the look's display name; null: the one in
 * `mail_from`) and its look (its name, or its logo, on top of every email).
 */
export class TenantMailCache {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #known = new Map<string, { readonly mail: Promise<TenantMail>; readonly until: number }>();

  constructor(store: Store, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  /** The lanes of a batch asking for one tenant at once share one read. */
  get(tenantId: string | null): Promise<TenantMail> {
    if (tenantId === null) return Promise.resolve(NO_TENANT_MAIL);
    const now = this.#clock.now();
    const known = this.#known.get(tenantId);
    if (known && known.until > now) return known.mail;
    if (this.#known.size >= MAX_TENANTS) this.#evict(now);
    const mail = this.#read(tenantId);
    this.#known.set(tenantId, { mail, until: now + TENANT_MAIL_TTL_MS });
    // a failed read is not kept: the next message reads again
    mail.catch(() => {
      if (this.#known.get(tenantId)?.mail === mail) this.#known.delete(tenantId);
    });
    return mail;
  }

  async #read(tenantId: string): Promise<TenantMail> {
    const tenant = await this.#store.directory.getTenant(tenantId);
    const look = await this.#store.looks.getLook(tenantId);
    return {
      fromName: emailSenderName(tenant?.policy.senderName ?? null, look.displayName),
      look,
      logo: look.logo ? await this.#store.looks.getLogo(tenantId, look.logo.hash) : null,
      host: look.host,
    };
  }

  /** Drops what is out of date, and the oldest entries if that is not enough: the cache stays bounded. */
  #evict(now: number): void {
    for (const [id, entry] of this.#known) if (entry.until <= now) this.#known.delete(id);
    for (const id of this.#known.keys()) {
      if (this.#known.size < MAX_TENANTS) break;
      this.#known.delete(id);
    }
  }
}
