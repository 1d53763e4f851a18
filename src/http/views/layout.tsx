import type { ComponentChildren, VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';
import { LOCALE_NAMES } from '../../core/i18n.ts';
import { I18nProvider, pageI18n, useI18n, type PageI18n } from './i18n-context.tsx';

export const PRODUCT_NAME = 'sspr';
export const STYLESHEET_HREF = '/static/sspr.css';
export const FAVICON_HREF = '/static/favicon.svg';

export interface LayoutProps {
  /** Page title, shown in the tab as "<title> · sspr". */
  readonly title: string;
  readonly children?: ComponentChildren;
  /** Reload the page every N seconds with `<meta http-equiv="refresh">` (no script). */
  readonly refreshSeconds?: number;
  /** Extra first-party stylesheets (same origin), after the main one. */
  readonly stylesheets?: readonly string[];
  /** First-party ES module scripts (same origin, deferred by nature). Pages must work without them. */
  readonly scripts?: readonly string[];
}

/** Where the language switcher's links go: `/language?set=<locale>&next=<this page's path>`. */
export const LANGUAGE_PATH = '/language';

/**
 * Links to the page in every offered language: plain GET links (no script), each language named
 * in itself and marked with its own `lang`; the current one is `aria-current`.
 */
function LanguageSwitcher(): VNode {
  const { t, locale, offered, path } = useI18n();
  return (
    <nav class="language-switcher" aria-label={t('layout.language')}>
      <ul>
        {offered.map((l) => (
          <li key={l}>
            <a
              href={`${LANGUAGE_PATH}?${new URLSearchParams({ set: l, next: path }).toString()}`}
              lang={l}
              hreflang={l}
              aria-current={l === locale ? 'true' : undefined}
            >
              {LOCALE_NAMES[l]}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/**
 * The one page shell: language and direction, phone viewport, title, the one stylesheet, a skip
 * link, a header with the product name and the language switcher, and the main landmark. No
 * inline script or style anywhere (the CSP forbids them).
 */
export function Layout(props: LayoutProps): VNode {
  // a component of its own, so that calling Layout(…) as a function (as some views do) still
  // renders inside the page's I18nProvider
  return <PageShell {...props} />;
}

/** The pages where a tenant's start note shows (the start of a reset, and sign-in). */
export const START_PATHS: ReadonlySet<string> = new Set(['/reset', '/signin']);

function PageShell({ title, children, refreshSeconds, stylesheets, scripts }: LayoutProps): VNode {
  const { t, locale, dir, look, path } = useI18n();
  const name = look?.displayName ?? PRODUCT_NAME;
  const note = look?.startNote && START_PATHS.has(path) ? look.startNote : null;
  return (
    <html lang={locale} dir={dir}>
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {refreshSeconds ? <meta http-equiv="refresh" content={String(refreshSeconds)} /> : null}
        <title>{`${title} · ${name}`}</title>
        <link rel="icon" href={FAVICON_HREF} type="image/svg+xml" />
        <link rel="stylesheet" href={STYLESHEET_HREF} />
        {look?.stylesheet ? <link rel="stylesheet" href={look.stylesheet} /> : null}
        {stylesheets?.map((href) => (
          <link key={href} rel="stylesheet" href={href} />
        ))}
        {scripts?.map((src) => (
          <script key={src} type="module" src={src} />
        ))}
      </head>
      <body>
        <a class="skip-link" href="#main">
          {t('layout.skipLink')}
        </a>
        <header class="site-header">
          <a class="brand" href="/">
            {look?.logo ? (
              <img class="tenant-logo" src={look.logo.src} width={look.logo.width} height={look.logo.height} alt="" />
            ) : null}
            {name}
          </a>
          <span class="tagline">{t('layout.tagline')}</span>
          <LanguageSwitcher />
        </header>
        <main id="main" tabIndex={-1}>
          {note ? <p class="tenant-note">{note}</p> : null}
          {children}
        </main>
      </body>
    </html>
  );
}

/**
 * Renders a page (usually a `<Layout>`) to a complete HTML document in `i18n`'s language (a
 * locale, or the request's PageI18n with its path); English by default. Text and attributes
 * are escaped.
 */
export function renderPage(page: VNode, i18n: PageI18n | PageI18n['locale'] = 'en'): string {
  const value = typeof i18n === 'string' ? pageI18n(i18n) : i18n;
  return '<!doctype html>' + renderToString(<I18nProvider value={value}>{page}</I18nProvider>);
}
