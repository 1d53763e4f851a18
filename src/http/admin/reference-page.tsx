import type { VNode } from 'preact';
import type { ReferenceFinding } from '../../service/help-request-service.ts';
import { ReferenceResult, ReferenceSearch } from '../help/reference-views.tsx';
import { AdminLayout } from './admin-layout.tsx';

/** `/admin/requests/reference`: a support reference of the admin's own tenant (help request or error page). */
export function RequestReferencePage(p: {
  tenantName: string;
  activeAdmins: number;
  reference: string;
  finding: ReferenceFinding | null;
}): VNode {
  return (
    <AdminLayout
      title={p.reference ? `Reference ${p.reference}` : 'Find a support reference'}
      section="/admin/requests"
      tenantName={p.tenantName}
      activeAdmins={p.activeAdmins}
    >
      <h1>Find a support reference</h1>
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
        <a href="/admin/requests">Back to help requests</a>
      </p>
    </AdminLayout>
  );
}
