import type { VNode } from 'preact';
import type { ReferenceFinding } from '../../service/help-request-service.ts';
import { ReferenceResult, ReferenceSearch } from '../help/reference-views.tsx';
import { useT } from '../views/i18n-context.tsx';
import { AdminLayout } from './admin-layout.tsx';

interface RequestReferenceProps {
  tenantName: string;
  activeAdmins: number;
  reference: string;
  finding: ReferenceFinding | null;
}

/** `/admin/requests/reference`: a support reference of the admin's own tenant (help request or error page). */
export function RequestReferencePage(p: RequestReferenceProps): VNode {
  return <RequestReference {...p} />;
}

function RequestReference(p: RequestReferenceProps): VNode {
  const t = useT();
  return (
    <AdminLayout
      title={p.reference ? t('admin.reference.title', { reference: p.reference }) : t('admin.reference.heading')}
      section="/admin/requests"
      tenantName={p.tenantName}
      activeAdmins={p.activeAdmins}
    >
      <h1>{t('admin.reference.heading')}</h1>
      <ReferenceSearch action="/admin/requests/reference" value={p.reference} />
      {p.reference ? (
        <ReferenceResult
          reference={p.reference}
          finding={p.finding}
          requestHref={() =>
            p.finding?.kind === 'help_request' && p.finding.request.status === 'open' ? '/admin/requests' : null
          }
        />
      ) : null}
      <p>
        <a href="/admin/requests">{t('admin.reference.back')}</a>
      </p>
    </AdminLayout>
  );
}
