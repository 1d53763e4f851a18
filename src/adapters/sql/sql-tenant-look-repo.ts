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

export class SqlTenantLookRepo implements TenantLookRepo {
  constructor(private readonly db: Kysely<Database>) {}

  async getLook(tenantId: string): Promise<TenantLook> {
    const row = await this.db
      .selectFrom('tenant_looks')
      .select(LOOK_COLUMNS)
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst();
    return row ? toLook(row) : EMPTY_LOOK;
  }

  async findByHost(host: string): Promise<{ tenantId: string; look: TenantLook } | null> {
    const row = await this.db
      .selectFrom('tenant_looks')
      .select(LOOK_COLUMNS)
      .where('host', '=', host)
      .executeTakeFirst();
    return row ? { tenantId: row.tenant_id, look: toLook(row) } : null;
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
    await this.db
      .insertInto('tenant_looks')
      .values({ tenant_id: tenantId, start_notes: '{}', ...values })
      .onConflict((oc) => oc.column('tenant_id').doUpdateSet(values))
      .execute();
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
