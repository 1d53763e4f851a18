import { createContext, type VNode, type ComponentChildren } from 'preact';
import { useContext } from 'preact/hooks';
import { i18nFor, offeredLocales, type I18n, type Translate, type UiLocale } from '../../core/i18n.ts';

/**
 * The language of the page being rendered. `renderPage(page, locale)` provides it; any
 * component below calls `useT()` (or `useI18n()` for the locale, direction and dates) instead
 * of threading props. Without a provider (a view rendered on its own) it is English.
 */
export interface PageI18n extends I18n {
  /** The path of the page (no query string): where the language switcher brings the person back. */
  readonly path: string;
  /** The locales the switcher offers (the pseudo-locale only when enabled). */
  readonly offered: readonly UiLocale[];
  /**
   * Whether something chose this language (the person, their account, their browser or the
   * page's tenant); false: English for want of any. The messages a request causes take its
   * language only when true, else the account's tenant default (docs/i18n.md).
   */
  readonly chosen?: boolean;
  /** The tenant's look, when the page belongs to a tenant (signed in, or known from the address). */
  readonly look?: PageLook;
}

/** What the page shell shows of a tenant's look (http/look-plugin.ts builds it). */
export interface PageLook {
  readonly displayName: string | null;
  readonly logo: { readonly src: string; readonly width: number; readonly height: number } | null;
  /** The same-origin stylesheet with the tenant's colour. */
  readonly stylesheet: string | null;
  /** The start page's note in the page's language. */
  readonly startNote: string | null;
}

/** A page's language; dates and times in `timeZone` (the page's tenant's, else UTC). */
export function pageI18n(locale: UiLocale = 'en', path = '/', pseudo = false, timeZone = 'UTC'): PageI18n {
  return { ...i18nFor(locale, timeZone), path, offered: offeredLocales({ pseudo }) };
}

export const I18nContext = createContext<PageI18n>(pageI18n());

export function I18nProvider({ value, children }: { value: PageI18n; children?: ComponentChildren }): VNode {
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

/** The page's `t(id, params)`. Call it inside a component rendered as JSX (`<Page />`), not as a function. */
export function useT(): Translate {
  return useContext(I18nContext).t;
}

export function useI18n(): PageI18n {
  return useContext(I18nContext);
}
