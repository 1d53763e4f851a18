import { messageLocale, type UiLocale } from '../core/i18n.ts';
import { lookTimeZone } from '../core/tenant-look.ts';
import type { TenantLookRepo } from '../ports/tenant-look-store.ts';

/** The language and time zone an email or SMS is written in. */
export interface MessageLanguage {
  readonly locale: UiLocale;
  /** The tenant's time zone (UTC when it has none): dates in the message are shown in it, with the zone. */
  readonly timeZone: string;
}

/**
 * The language of a message to an account of `tenantId` (core/i18n `messageLocale`): the account's
 * saved language, else the page's that caused it, else the tenant's default, else English; and
 * the tenant's time zone. Reads the tenant's look (in the caller's transaction when given one).
 */
export async function messageLanguage(
  store: { readonly looks: Pick<TenantLookRepo, 'getLook'> },
  tenantId: string | null,
  choice: { readonly saved?: string | null; readonly page?: UiLocale | null },
): Promise<MessageLanguage> {
  const look = tenantId ? await store.looks.getLook(tenantId) : null;
  return {
    locale: messageLocale({ ...choice, tenantDefault: look?.defaultLocale ?? null }),
    timeZone: lookTimeZone(look),
  };
}
