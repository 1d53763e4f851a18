import type { ComponentChildren, VNode } from 'preact';
import type { MessageId } from '../../core/i18n.ts';
import { useT } from '../views/i18n-context.tsx';
import { Layout } from '../views/layout.tsx';

/** The console's sections, in menu order (`label`: the catalogue id of its name). Each section's plugin serves its own paths. */
export const ADMIN_SECTIONS = [
  { href: '/admin', label: 'admin.nav.users' },
  { href: '/admin/requests', label: 'admin.nav.requests' },
  { href: '/admin/audit', label: 'admin.nav.audit' },
  { href: '/admin/insights', label: 'admin.nav.insights' },
  { href: '/admin/policy', label: 'admin.nav.policy' },
  { href: '/admin/api-keys', label: 'admin.nav.apiKeys' },
  { href: '/admin/directory', label: 'admin.nav.directory' },
  { href: '/admin/look', label: 'admin.nav.look' },
] as const satisfies readonly { href: string; label: MessageId }[];

export interface AdminLayoutProps {
  readonly title: string;
  /** The section this page belongs to (its href), marked aria-current. */
  readonly section: (typeof ADMIN_SECTIONS)[number]['href'];
  readonly tenantName: string;
  /** Active admins of the tenant: below 2 the console shows a warning banner on every page. */
  readonly activeAdmins: number;
  readonly children?: ComponentChildren;
  readonly scripts?: readonly string[];
}

/**
 * The console's page shell: the site layout, a navigation bar, and the banner warning when the
 * tenant has fewer than two active administrators (if the only admin is locked out, nobody
 * inside the company can help: they must call Technical Support). In the page's language.
 */
export function AdminLayout(p: AdminLayoutProps): VNode {
  // a component of its own, so that calling AdminLayout(…) as a function still renders in the page's language
  return <AdminShell {...p} />;
}

function AdminShell(p: AdminLayoutProps): VNode {
  const t = useT();
  return (
    <Layout title={t('admin.layout.title', { title: p.title })} {...(p.scripts ? { scripts: p.scripts } : {})}>
      <nav class="admin-nav" aria-label={t('admin.nav.label')}>
        <p class="admin-tenant">{p.tenantName}</p>
        <ul>
          {ADMIN_SECTIONS.map((s) => (
            <li key={s.href}>
              <a href={s.href} aria-current={s.href === p.section ? 'page' : undefined}>
                {t(s.label)}
              </a>
            </li>
          ))}
          <li>
            <a href="/account">{t('admin.nav.account')}</a>
          </li>
        </ul>
      </nav>
      {p.activeAdmins < 2 ? <AdminCountBanner count={p.activeAdmins} /> : null}
      {p.children}
    </Layout>
  );
}

export function AdminCountBanner({ count }: { count: number }): VNode {
  const t = useT();
  return (
    <div class="banner warning" role="note" aria-labelledby="admin-count-title">
      <h2 id="admin-count-title">{count === 0 ? t('admin.adminCount.none') : t('admin.adminCount.one')}</h2>
      <p>{t('admin.adminCount.message')}</p>
    </div>
  );
}
