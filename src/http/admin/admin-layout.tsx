import type { ComponentChildren, VNode } from 'preact';
import { Layout } from '../views/layout.tsx';

/** The console's sections, in menu order. Each section's plugin serves its own paths. */
export const ADMIN_SECTIONS = [
  { href: '/admin', label: 'Users' },
  { href: '/admin/requests', label: 'Help requests' },
  { href: '/admin/audit', label: 'Audit log' },
  { href: '/admin/insights', label: 'Usage & insights' },
  { href: '/admin/policy', label: 'Policy' },
  { href: '/admin/api-keys', label: 'API keys' },
  { href: '/admin/directory', label: 'Directory' },
] as const;

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
 * inside the company can help: they must call Technical Support).
 */
export function AdminLayout(p: AdminLayoutProps): VNode {
  return (
    <Layout title={`${p.title} · Admin`} {...(p.scripts ? { scripts: p.scripts } : {})}>
      <nav class="admin-nav" aria-label="Admin console">
        <p class="admin-tenant">{p.tenantName}</p>
        <ul>
          {ADMIN_SECTIONS.map((s) => (
            <li key={s.href}>
              <a href={s.href} aria-current={s.href === p.section ? 'page' : undefined}>
                {s.label}
              </a>
            </li>
          ))}
          <li>
            <a href="/account">Your account</a>
          </li>
        </ul>
      </nav>
      {p.activeAdmins < 2 ? <AdminCountBanner count={p.activeAdmins} /> : null}
      {p.children}
    </Layout>
  );
}

export function AdminCountBanner({ count }: { count: number }): VNode {
  return (
    <div class="banner warning" role="note" aria-labelledby="admin-count-title">
      <h2 id="admin-count-title">
        {count === 0
          ? 'This organisation has no active administrator'
          : 'This organisation has only one active administrator'}
      </h2>
      <p>
        If the only administrator is locked out, nobody in your company can reset their password, and they must contact
        Technical Support. Make a second person an administrator, with an alternate email and a mobile phone registered.
      </p>
    </div>
  );
}
