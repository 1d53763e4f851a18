import type { ComponentChildren, VNode } from 'preact';
import { renderToString } from 'preact-render-to-string';

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

/**
 * The one page shell: language, phone viewport, title, the one stylesheet, a skip link, a header
 * with the product name and the main landmark. No inline script or style anywhere (the CSP
 * forbids them).
 */
export function Layout({ title, children, refreshSeconds, stylesheets, scripts }: LayoutProps): VNode {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {refreshSeconds ? <meta http-equiv="refresh" content={String(refreshSeconds)} /> : null}
        <title>{`${title} · ${PRODUCT_NAME}`}</title>
        <link rel="icon" href={FAVICON_HREF} type="image/svg+xml" />
        <link rel="stylesheet" href={STYLESHEET_HREF} />
        {stylesheets?.map((href) => (
          <link key={href} rel="stylesheet" href={href} />
        ))}
        {scripts?.map((src) => (
          <script key={src} type="module" src={src} />
        ))}
      </head>
      <body>
        <a class="skip-link" href="#main">
          Skip to main content
        </a>
        <header class="site-header">
          <a class="brand" href="/">
            {PRODUCT_NAME}
          </a>
          <span class="tagline">Self-service password reset</span>
        </header>
        <main id="main" tabIndex={-1}>
          {children}
        </main>
      </body>
    </html>
  );
}

/** Renders a page (usually a `<Layout>`) to a complete HTML document. Text and attributes are escaped. */
export function renderPage(page: VNode): string {
  return '<!doctype html>' + renderToString(page);
}
