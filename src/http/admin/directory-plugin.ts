import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Actor } from '../../core/admin-rules.ts';
import { canChangeDirectorySettings } from '../../core/directory-admin-rules.ts';
import type { DirectoryCheckReport } from '../../core/directory-rules.ts';
import { directorySettingsInput, type SettingsProblem } from '../../core/directory-settings.ts';
import type { App } from '../../service/app.ts';
import { requireConsole } from '../account/session.ts';
import { ERROR_STATUS } from '../errors.ts';
import { formField, registerForms, requestContext } from '../forms.ts';
import { sendHtml } from '../send-html.ts';
import { renderConsoleForbidden } from './admin-plugin.ts';
import {
  DIRECTORY_FORM_FIELDS,
  DIRECTORY_NOTICES,
  DIRECTORY_PROBLEMS,
  DirectoryPage,
  type DirectoryFormValues,
  type DirectoryNotice,
  type DirectoryProblem,
} from './directory-views.tsx';

/** The form's values from the saved settings (lists one per line, booleans as checkboxes). */
function savedValues(settings: Parameters<typeof directorySettingsInput>[0] | null): DirectoryFormValues {
  if (!settings) return { kind: 'ldap' };
  const input = directorySettingsInput(settings);
  const values: Record<string, string> = {};
  for (const field of DIRECTORY_FORM_FIELDS) {
    const v = input[field];
    if (v === null || v === undefined || v === false) continue;
    values[field] = v === true ? 'on' : Array.isArray(v) ? v.join('\n') : String(v);
  }
  return values;
}

/** The posted form, known fields only, each capped. */
function postedValues(body: unknown): DirectoryFormValues {
  const values: Record<string, string> = {};
  for (const field of DIRECTORY_FORM_FIELDS) {
    const v = formField(body, field, field === 'urls' || field === 'adminGroups' ? 8000 : 1000);
    if (v !== '') values[field] = v;
  }
  return values;
}

/**
 * The console's Directory page, `/admin/directory`: where the organisation's passwords live
 * (builtin, OpenLDAP, Active Directory), the settings form (Save), the check of the form's
 * settings before saving them or of the saved ones (Run check), and Remove. Every administrator of
 * the tenant sees the page and may run the check of the saved settings; only a global
 * administrator changes, removes, or checks settings not saved yet (`core/directory-admin-rules.ts`).
 * Changes are audited and the other administrators told by `app.directorySettings`.
 */
export async function directoryPlugin(fastify: FastifyInstance, options: { app: App }): Promise<void> {
  const { app } = options;
  const { csrfCheck } = await registerForms(fastify, app, async (request, reply) => {
    if (!request.auth) return reply.redirect('/signin', 303);
    return show(request, reply, 403, { problem: 'csrf', values: postedValues(request.body) });
  });
  const guard = requireConsole(renderConsoleForbidden);
  const post = { preHandler: [guard, csrfCheck.preHandler] };
  const actor = (request: FastifyRequest): Actor => ({ kind: 'admin', account: request.auth!.account });

  async function show(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    extra: {
      values?: DirectoryFormValues;
      notice?: DirectoryNotice | null;
      problem?: DirectoryProblem | null;
      problems?: readonly SettingsProblem[];
      report?: { report: DirectoryCheckReport; unsaved: boolean } | null;
    } = {},
  ) {
    const tenant = request.auth!.tenant;
    const view = await app.directorySettings.get(actor(request), tenant.id);
    if (!view.ok) return renderConsoleForbidden(request, reply, 'not_admin');
    const v = view.value;
    return sendHtml(
      reply,
      DirectoryPage({
        tenantName: tenant.name,
        activeAdmins: await app.directory.countActiveAdmins(tenant.id),
        csrf: reply.generateCsrf(),
        kind: v.kind,
        updatedAt: v.updatedAt,
        values: extra.values ?? savedValues(v.settings),
        canChange: canChangeDirectorySettings(actor(request), tenant.id) === null,
        secretPlaces: v.secretPlaces,
        notice: extra.notice ?? null,
        problem: extra.problem ?? null,
        problems: extra.problems ?? [],
        report: extra.report ?? null,
      }),
      status,
    );
  }

  const denied = (request: FastifyRequest, reply: FastifyReply, error: string, values?: DirectoryFormValues) =>
    show(request, reply, ERROR_STATUS[error as keyof typeof ERROR_STATUS] ?? 403, {
      problem: (DIRECTORY_PROBLEMS as readonly string[]).includes(error) ? (error as DirectoryProblem) : 'not_allowed',
      ...(values ? { values } : {}),
    });

  fastify.get('/admin/directory', { preHandler: guard }, async (request, reply) => {
    const done = (request.query as Record<string, unknown>)?.done;
    const notice = DIRECTORY_NOTICES.find((n) => n === done) ?? null;
    return show(request, reply, 200, { notice });
  });

  fastify.post('/admin/directory', post, async (request, reply) => {
    const tenantId = request.auth!.tenant.id;
    const action = formField(request.body, 'action', 10);
    const values = postedValues(request.body);
    const rc = requestContext(request);
    const canChange = canChangeDirectorySettings(actor(request), tenantId) === null;
    if (action === 'check') {
      // an admin who may not change the settings checks the saved ones (the form is read-only for them)
      const r = await app.directorySettings.check(actor(request), tenantId, rc, canChange ? values : undefined);
      if (!r.ok) {
        if (r.error === 'invalid_directory_settings')
          return show(request, reply, 400, { values, problems: r.problems });
        return denied(request, reply, r.error, canChange ? values : undefined);
      }
      return show(request, reply, 200, {
        ...(canChange ? { values } : {}),
        report: { report: r.value.report, unsaved: !r.value.saved },
      });
    }
    const r = await app.directorySettings.set(actor(request), tenantId, values, rc);
    if (!r.ok) {
      if (r.error === 'invalid_directory_settings') return show(request, reply, 400, { values, problems: r.problems });
      return denied(request, reply, r.error, values);
    }
    return reply.redirect(`/admin/directory?done=${r.value.changed.length > 0 ? 'saved' : 'unchanged'}`, 303);
  });

  fastify.post('/admin/directory/remove', post, async (request, reply) => {
    const r = await app.directorySettings.remove(actor(request), request.auth!.tenant.id, requestContext(request));
    if (!r.ok) return denied(request, reply, r.error);
    return reply.redirect('/admin/directory?done=removed', 303);
  });
}
