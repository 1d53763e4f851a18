import type { Kysely, Selectable } from 'kysely';
import { LOCALES, type Locale } from '../../core/i18n.ts';
import { err, ok, type Result } from '../../core/result.ts';
import { EMPTY_LOOK, type TenantLook } from '../../core/tenant-look.ts';
import type { StoredLogo, TenantLookRepo } from '../../ports/tenant-look-store.ts';
import { atomic, isUniqueViolation } from './atomic.ts';
import type { Database, TenantLooksTable } from './database.ts';

const LOOK_COLUMNS = [
  'tenant_id',
  'display_name',
  'primary_colour',
  'host',
  'start_notes',
  'logo_hash',
  'logo_width',
  'logo_height',
  'default_locale',
  'time_zone',
] as const;

type LookRow = Pick<Selectable<TenantLooksTable>, (typeof LOOK_COLUMNS)[number]>;

function notesOf(text: string): Partial<Record<Locale, string>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  const notes: Partial<Record<Locale, string>> = {};
  if (typeof parsed !== 'object' || parsed === null) return notes;
  for (const l of LOCALES) {
    const v = (parsed as Record<string, unknown>)[l];
    if (typeof v === 'string') notes[l] = v;
  }
  return notes;
}

function toLook(row: LookRow): TenantLook {
  return {
    displayName: row.display_name,
    primaryColour: row.primary_colour,
    host: row.host,
    startNotes: notesOf(row.start_notes),
    logo:
      row.logo_hash !== null
        ? { hash: row.logo_hash, width: Number(row.logo_width), height: Number(row.logo_height) }
        : null,
    // a value a later release wrote that this one does not know reads as none
    defaultLocale: LOCALES.find((l) => l === row.default_locale) ?? null,
    timeZone: row.time_zone,
  };
}

/** How long a look read stays in a store's `LookCache`: another instance's change shows within this. */
export const LOOK_CACHE_MS = 5_000;
/** Entries per map of a `LookCache` (hosts come from the request's Host header: bounded). */
const LOOK_CACHE_ENTRIES = 1_000;

type ByHost = { tenantId: string; look: TenantLook } | null;

/**
 * The looks a store read lately, by tenant and by host (a host no tenant has included), for
 * `LOOK_CACHE_MS`: every reset start and resend reads its tenant's look (the message language)
 * and the page's host (the link's address), which change seldom — a round trip each on
 * PostgreSQL. A change through this store empties it at once; another instance's shows within
 * `LOOK_CACHE_MS`.
 */
export class LookCache {
  readonly #byTenant = new Map<string, { value: TenantLook; until: number }>();
  readonly #byHost = new Map<string, { value: ByHost; until: number }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  async look(tenantId: string, read: () => Promise<TenantLook>): Promise<TenantLook> {
    return cached(this.#byTenant, tenantId, this.now(), read);
  }

  async byHost(host: string, read: () => Promise<ByHost>): Promise<ByHost> {
    return cached(this.#byHost, host, this.now(), read);
  }

  clear(): void {
    this.#byTenant.clear();
    this.#byHost.clear();
  }
}

async function cached<T>(
  map: Map<string, { value: T; until: number }>,
  key: string,
  now: number,
  read: () => Promise<T>,
): Promise<T> {
  const hit = map.get(key);
  if (hit && now < hit.until) return hit.value;
  const value = await read();
  if (map.size >= LOOK_CACHE_ENTRIES) map.clear();
  map.set(key, { value, until: now + LOOK_CACHE_MS });
  return value;
}

export class SqlTenantLookRepo implements TenantLookRepo {
  /** `cache`: the store's look cache (reads go through it, changes empty it). */
  constructor(
    private readonly db: Kysely<Database>,
    private readonly cache: LookCache | null = null,
  ) {}

  async getLook(tenantId: string): Promise<TenantLook> {
    const read = async () => {
      const row = await this.db
        .selectFrom('tenant_looks')
        .select(LOOK_COLUMNS)
        .where('tenant_id', '=', tenantId)
        .executeTakeFirst();
      return row ? toLook(row) : EMPTY_LOOK;
    };
    return this.cache ? this.cache.look(tenantId, read) : read();
  }

  async findByHost(host: string): Promise<{ tenantId: string; look: TenantLook } | null> {
    const read = async () => {
      const row = await this.db
        .selectFrom('tenant_looks')
        .select(LOOK_COLUMNS)
        .where('host', '=', host)
        .executeTakeFirst();
      return row ? { tenantId: row.tenant_id, look: toLook(row) } : null;
    };
    return this.cache ? this.cache.byHost(host, read) : read();
  }

  async saveLook(tenantId: string, look: TenantLook, now: number): Promise<Result<void, 'host_taken'>> {
    const taken = async () =>
      look.host !== null &&
      (await this.db
        .selectFrom('tenant_looks')
        .select('tenant_id')
        .where('host', '=', look.host)
        .where('tenant_id', '<>', tenantId)
        .executeTakeFirst()) !== undefined;
    if (await taken()) return err('host_taken');
    const values = {
      display_name: look.displayName,
      primary_colour: look.primaryColour,
      host: look.host,
      start_notes: JSON.stringify(look.startNotes),
      default_locale: look.defaultLocale,
      time_zone: look.timeZone,
      updated_at: now,
    };
    this.cache?.clear();
    try {
      await atomic(this.db, (db) =>
        db
          .insertInto('tenant_looks')
          .values({ tenant_id: tenantId, ...values })
          .onConflict((oc) => oc.column('tenant_id').doUpdateSet(values))
          .execute(),
      );
    } catch (error) {
      // another tenant took the host between the check and the write
      if (isUniqueViolation(error) && (await taken())) return err('host_taken');
      throw error;
    }
    // emptied before and after: a read of this instance between the two may have kept the old look
    this.cache?.clear();
    return ok(undefined);
  }

  async setLogo(tenantId: string, logo: StoredLogo | null, now: number): Promise<void> {
    const values = {
      logo_hash: logo?.hash ?? null,
      logo_width: logo?.width ?? null,
      logo_height: logo?.height ?? null,
      logo_png: logo ? Buffer.from(logo.png) : null,
      updated_at: now,
    };
    this.cache?.clear();
    await this.db
      .insertInto('tenant_looks')
      .values({ tenant_id: tenantId, start_notes: '{}', ...values })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet(values))
      .execute();
    this.cache?.clear();
  }

  async getLogo(tenantId: string, hash: string): Promise<StoredLogo | null> {
    const row = await this.db
      .selectFrom('tenant_looks')
      .select(['logo_hash', 'logo_width', 'logo_height', 'logo_png'])
      .where('tenant_id', '=', tenantId)
      .where('logo_hash', '=', hash)
      .executeTakeFirst();
    if (!row || row.logo_png === null || row.logo_hash === null) return null;
    return {
      hash: row.logo_hash,
      width: Number(row.logo_width),
      height: Number(row.logo_height),
      png: new Uint8Array(row.logo_png),
    };
  }
}
