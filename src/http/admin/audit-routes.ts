import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest, preHandlerHookHandler } from 'fastify';
import type { Actor } from '../../core/admin-rules.ts';
import { AUDIT_EXPORT_MAX_ROWS, parseAuditFilter, parseCursor, type AuditCriteria } from '../../core/audit-view.ts';
import type { AuditExportStream } from '../../service/insights-service.ts';
import type { App } from '../../service/app.ts';
import { requestContext } from '../forms.ts';
import { AUDIT_CSV_COLUMNS, auditCsvFinal, auditCsvRecord, csvRow } from './audit-csv.ts';
import { sendHtml } from '../send-html.ts';
import { AuditPage } from './audit-views.tsx';

/**
 * The audit log viewer (`/admin/audit`) and its exports (`/admin/audit/export.csv`,
 * `/admin/audit/export.json`) with the same filters. GET only: nothing here changes state except
 * the audit event recording an export. `guard` is the console's preHandler (`requireConsole`).
 */
export function registerAuditRoutes(
  fastify: FastifyInstance,
  app: App,
  guard: preHandlerHookHandler,
  forbidden: (request: FastifyRequest, reply: FastifyReply) => unknown,
): void {
  const actorOf = (request: FastifyRequest): Actor => ({ kind: 'admin', account: request.auth!.account });

  fastify.get('/admin/audit', { preHandler: guard }, async (request, reply) => {
    const auth = request.auth!;
    const query = request.query as Record<string, unknown>;
    const { input, criteria, problems } = parseAuditFilter(query);
    const cursor = parseCursor(query.before);
    const actor = actorOf(request);
    const [page, vocabulary, activeAdmins, chain] = await Promise.all([
      app.insights.auditPage(actor, criteria, cursor),
      app.insights.auditVocabulary(actor),
      app.directory.countActiveAdmins(auth.tenant.id),
      app.auditChain.status(auth.tenant.id),
    ]);
    if (!page.ok || !vocabulary.ok) return forbidden(request, reply);
    return sendHtml(
      reply,
      AuditPage({
        tenantName: auth.tenant.name,
        activeAdmins,
        input,
        problems,
        types: vocabulary.value.types,
        outcomes: vocabulary.value.outcomes,
        rows: page.value.rows,
        accountUnknown: page.value.accountUnknown,
        paged: cursor !== null,
        nextCursor: page.value.nextCursor,
        chain,
      }),
      problems.length > 0 ? 400 : 200,
    );
  });

  async function exportRows(
    request: FastifyRequest,
    format: 'csv' | 'json',
  ): Promise<{ criteria: AuditCriteria; rows: AuditExportStream } | 'forbidden' | 'bad_filter'> {
    const { criteria, problems } = parseAuditFilter(request.query);
    if (problems.length > 0) return 'bad_filter';
    // one row more than the limit tells whether the export was cut
    const result = await app.insights.auditExport(
      actorOf(request),
      criteria,
      format,
      requestContext(request),
      AUDIT_EXPORT_MAX_ROWS + 1,
    );
    return result.ok ? { criteria, rows: result.value } : 'forbidden';
  }

  function attachment(reply: FastifyReply, type: string, ext: string): void {
    const day = new Date(app.clock.now()).toISOString().slice(0, 10);
    void reply
      .code(200)
      .header('content-type', type)
      .header('content-disposition', `attachment; filename="audit-${day}.${ext}"`)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff');
  }

  async function badFilter(request: FastifyRequest, reply: FastifyReply) {
    // the page explains which filter is wrong
    const query = new URLSearchParams(request.query as Record<string, string>).toString();
    return reply.redirect(`/admin/audit${query ? `?${query}` : ''}`, 303);
  }

  fastify.get('/admin/audit/export.csv', { preHandler: guard }, async (request, reply) => {
    const found = await exportRows(request, 'csv');
    if (found === 'forbidden') return forbidden(request, reply);
    if (found === 'bad_filter') return badFilter(request, reply);
    attachment(reply, 'text/csv; charset=utf-8; header=present', 'csv');
    return reply.send(Readable.from(csvLines(found.rows, new Date(app.clock.now()).toISOString())));
  });

  fastify.get('/admin/audit/export.json', { preHandler: guard }, async (request, reply) => {
    const found = await exportRows(request, 'json');
    if (found === 'forbidden') return forbidden(request, reply);
    if (found === 'bad_filter') return badFilter(request, reply);
    attachment(reply, 'application/json; charset=utf-8', 'json');
    const head = {
      tenant: request.auth!.tenant.name,
      exported_at: new Date(app.clock.now()).toISOString(),
      filters: {
        since: found.criteria.since !== undefined ? new Date(found.criteria.since).toISOString() : null,
        until: found.criteria.until !== undefined ? new Date(found.criteria.until).toISOString() : null,
        account: found.criteria.account ?? null,
        type: found.criteria.type ?? null,
        outcome: found.criteria.outcome ?? null,
      },
      // each event carries seq, prev_hash and hash: hash = SHA-256(prev_hash ‖ canonical event)
      chain: {
        tenant_id: found.rows.tenantId,
        final_seq: found.rows.chainHead?.seq ?? null,
        final_hash: found.rows.chainHead?.hash ?? null,
      },
    };
    return reply.send(Readable.from(jsonChunks(head, found.rows)));
  });
}

/** The CSV, header first, then one line per event (up to the export limit), then the final hash. */
async function* csvLines(rows: AuditExportStream, exportedAt: string): AsyncGenerator<string> {
  yield csvRow(AUDIT_CSV_COLUMNS);
  let n = 0;
  for await (const r of rows) {
    if (++n > AUDIT_EXPORT_MAX_ROWS) break;
    yield auditCsvRecord(r);
  }
  yield auditCsvFinal(exportedAt, rows.chainHead);
}

/** `{…head, "events": [...], "count": n, "truncated": bool}`, written as the rows arrive. */
async function* jsonChunks(head: Record<string, unknown>, rows: AuditExportStream): AsyncGenerator<string> {
  const opening = JSON.stringify(head);
  yield `${opening.slice(0, -1)},"events":[`;
  let n = 0;
  let truncated = false;
  for await (const r of rows) {
    if (n === AUDIT_EXPORT_MAX_ROWS) {
      truncated = true;
      break;
    }
    yield `${n === 0 ? '\n' : ',\n'}${JSON.stringify(r)}`;
    n++;
  }
  yield `\n],"count":${n},"truncated":${truncated}}\n`;
}
