import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { parsePeriod } from '../../core/insights.ts';
import type { App } from '../../service/app.ts';
import { requireConsole } from '../account/session.ts';
import { sendHtml } from '../send-html.ts';
import { registerAuditRoutes } from './audit-routes.ts';
import { ConsoleForbiddenPage } from './audit-views.tsx';
import { InsightsPage } from './insights-views.tsx';

/**
 * The console's read-only sections: the audit log viewer with its exports (see audit-routes.ts)
 * and usage & insights (`/admin/insights?period=7|30|90`). Both sit behind `requireConsole`: a
 * signed-in admin of the tenant with both methods registered; everyone else gets a 403 page.
 * Every query is bounded to the admin's own tenant by the service.
 */
export async function insightsPlugin(fastify: FastifyInstance, options: { app: App }): Promise<void> {
  const { app } = options;
  const forbidden = (_request: FastifyRequest, reply: FastifyReply, reason: 'not_admin' | 'methods_missing') =>
    sendHtml(reply, ConsoleForbiddenPage({ reason }), 403);
  const guard = requireConsole(forbidden);

  registerAuditRoutes(fastify, app, guard, (request, reply) => forbidden(request, reply, 'not_admin'));

  fastify.get('/admin/insights', { preHandler: guard }, async (request, reply) => {
    const auth = request.auth!;
    const period = parsePeriod((request.query as Record<string, unknown>)?.period);
    const [report, activeAdmins] = await Promise.all([
      app.insights.report({ kind: 'admin', account: auth.account }, period),
      app.directory.countActiveAdmins(auth.tenant.id),
    ]);
    if (!report.ok) return forbidden(request, reply, 'not_admin');
    return sendHtml(reply, InsightsPage({ tenantName: auth.tenant.name, activeAdmins, report: report.value }));
  });
}
