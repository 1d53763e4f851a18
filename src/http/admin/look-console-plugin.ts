import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyMultipart from '@fastify/multipart';
import type { Actor } from '../../core/admin-rules.ts';
import { LOCALES } from '../../core/i18n.ts';
import { LOGO_MAX_BYTES, LOGO_PROBLEMS, problemText, type LookInput, type TenantLook } from '../../core/tenant-look.ts';
import type { App } from '../../service/app.ts';
import { requireConsole } from '../account/session.ts';
import { formField, registerForms, requestContext } from '../forms.ts';
import { LOGO_PATH_PREFIX } from '../look-plugin.ts';
import { sendHtml } from '../send-html.ts';
import { renderConsoleForbidden } from './admin-plugin.ts';
import { LOOK_NOTICES, LookPage, type LookPageProps } from './look-views.tsx';

function savedValues(look: TenantLook): Record<string, string> {
  const values: Record<string, string> = {
    displayName: look.displayName ?? '',
    primaryColour: look.primaryColour ?? '',
    host: look.host ?? '',
    defaultLocale: look.defaultLocale ?? '',
    timeZone: look.timeZone ?? '',
  };
  for (const l of LOCALES) values[`note-${l}`] = look.startNotes[l] ?? '';
  return values;
}

function postedValues(body: unknown): Record<string, string> {
  const values: Record<string, string> = {
    displayName: formField(body, 'displayName', 400),
    primaryColour: formField(body, 'primaryColour', 40),
    host: formField(body, 'host', 300),
    defaultLocale: formField(body, 'defaultLocale', 20),
    timeZone: formField(body, 'timeZone', 100),
  };
  for (const l of LOCALES) values[`note-${l}`] = formField(body, `note-${l}`, 2000);
  return values;
}

/**
 * The console's Look and words page, `/admin/look` (administrators of the tenant): display name,
 * colour (refused without AA contrast, with the ratios), address and start notes; the logo is
 * uploaded (a multipart form, this scope only: one file and the CSRF field) and removed here.
 * Changes audited by `app.looks`.
 */
export async function lookConsolePlugin(fastify: FastifyInstance, options: { app: App }): Promise<void> {
  const { app } = options;
  const { csrfCheck } = await registerForms(fastify, app, async (request, reply) => {
    if (!request.auth) return reply.redirect('/signin', 303);
    return show(request, reply, 403, { problems: [{ field: '_csrf', message: request.i18n.t('admin.look.csrf') }] });
  });
  const guard = requireConsole(renderConsoleForbidden);
  const post = { preHandler: [guard, csrfCheck.preHandler] };
  const actor = (request: FastifyRequest): Actor => ({ kind: 'admin', account: request.auth!.account });

  async function show(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    extra: Partial<Pick<LookPageProps, 'values' | 'notice' | 'problems'>> = {},
  ) {
    const tenant = request.auth!.tenant;
    const look = await app.looks.get(actor(request));
    if (!look.ok) return renderConsoleForbidden(request, reply, 'not_admin');
    const logo = look.value.logo;
    return sendHtml(
      reply,
      LookPage({
        tenantName: tenant.name,
        activeAdmins: await app.directory.countActiveAdmins(tenant.id),
        csrf: reply.generateCsrf(),
        look: look.value,
        values: extra.values ?? savedValues(look.value),
        logoSrc: logo ? `${LOGO_PATH_PREFIX}/${encodeURIComponent(tenant.id)}/logo-${logo.hash}.png` : null,
        notice: extra.notice ?? null,
        problems: extra.problems ?? [],
      }),
      status,
    );
  }

  fastify.get('/admin/look', { preHandler: guard }, async (request, reply) => {
    const done = (request.query as Record<string, unknown> | undefined)?.done;
    return show(request, reply, 200, { notice: LOOK_NOTICES.find((n) => n === done) ?? null });
  });

  fastify.post('/admin/look', post, async (request, reply) => {
    const values = postedValues(request.body);
    const input: LookInput = {
      displayName: values.displayName!,
      primaryColour: values.primaryColour!,
      host: values.host!,
      defaultLocale: values.defaultLocale!,
      timeZone: values.timeZone!,
      startNotes: Object.fromEntries(LOCALES.map((l) => [l, values[`note-${l}`] ?? ''])),
    };
    const before = await app.looks.get(actor(request));
    const r = await app.looks.update(actor(request), input, requestContext(request));
    if (!r.ok) {
      if ('fields' in r)
        return show(request, reply, 400, {
          values,
          problems: r.fields.map((f) => ({ field: f.field, message: problemText(f.problem, request.i18n.locale) })),
        });
      if (r.error === 'host_taken')
        return show(request, reply, 409, {
          values,
          problems: [{ field: 'host', message: request.i18n.t('admin.look.hostTaken') }],
        });
      return renderConsoleForbidden(request, reply, 'not_admin');
    }
    const same = before.ok && JSON.stringify(before.value) === JSON.stringify(r.value);
    return reply.redirect(`/admin/look?done=${same ? 'unchanged' : 'saved'}`, 303);
  });

  // one file and the CSRF token; up to twice the logo limit reaches the service, which names the limit
  await fastify.register(fastifyMultipart, {
    attachFieldsToBody: 'keyValues',
    limits: { files: 1, fields: 2, fileSize: LOGO_MAX_BYTES * 2, fieldSize: 1024, parts: 3 },
  });

  fastify.post('/admin/look/logo', post, async (request, reply) => {
    const file = (request.body as Record<string, unknown> | undefined)?.logo;
    const bytes = Buffer.isBuffer(file) ? new Uint8Array(file) : new Uint8Array(0);
    const r = await app.looks.setLogo(actor(request), bytes, requestContext(request));
    if (!r.ok) {
      if (r.error === 'logo_empty' || r.error === 'logo_too_large' || r.error === 'logo_not_image')
        return show(request, reply, r.error === 'logo_too_large' ? 413 : r.error === 'logo_not_image' ? 415 : 400, {
          problems: [{ field: 'logo', message: problemText(LOGO_PROBLEMS[r.error], request.i18n.locale) }],
        });
      return renderConsoleForbidden(request, reply, 'not_admin');
    }
    return reply.redirect('/admin/look?done=logoSet', 303);
  });

  fastify.post('/admin/look/logo/remove', post, async (request, reply) => {
    const r = await app.looks.removeLogo(actor(request), requestContext(request));
    if (!r.ok) return renderConsoleForbidden(request, reply, 'not_admin');
    return reply.redirect('/admin/look?done=logoRemoved', 303);
  });
}
