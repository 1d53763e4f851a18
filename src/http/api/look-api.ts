import { namedPlugin } from '../plugin-name.ts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { LOCALES } from '../../core/i18n.ts';
import {
  DISPLAY_NAME_MAX,
  LOGO_MAX_BYTES,
  START_NOTE_MAX,
  problemText,
  type LookFieldError,
  type LookInput,
  type TenantLook,
} from '../../core/tenant-look.ts';
import type { Actor } from '../../core/admin-rules.ts';
import type { App } from '../../service/app.ts';
import type { RequestContext } from '../../service/request-context.ts';
import {
  ADMIN_SECURITY as SECURITY,
  ADMIN_TAGS as TAGS,
  adminApiCode,
  adminResponses,
  sendAdminApiError,
} from './admin-api-errors.ts';
import { resetApiRegistry } from './reset-api-schemas.ts';
import { LOGO_PATH_PREFIX } from '../look-plugin.ts';

/**
 * The admin API's look and words of the key's organisation: `GET|PUT /api/v1/admin/look`,
 * `PUT|DELETE /api/v1/admin/look/logo` (the logo as the raw body: `Content-Type: image/png` or
 * `image/jpeg`). Registered by the admin API plugin inside its scope (API key hook, validation,
 * OpenAPI document). Seeing needs `look:read`, changing `look:write` (scopes of their
 * own: a key that manages the directory does not change the look, and the other way round);
 * every change is audited.
 */

function named<T extends z.ZodType>(schema: T, id: string, description: string): T {
  resetApiRegistry.add(schema, { id, description });
  return schema;
}

const notesShape = Object.fromEntries(
  LOCALES.map((l) => [
    l,
    z
      .string()
      .max(START_NOTE_MAX * 2)
      .nullable()
      .optional(),
  ]),
);

export const AdminLookSchema = named(
  z.object({
    displayName: z.string().nullable(),
    primaryColour: z.string().nullable().describe('`#rrggbb`; text on it reaches WCAG AA (4.5:1).'),
    host: z.string().nullable().describe('The address people open sspr at for this organisation.'),
    startNotes: z.record(z.string(), z.string()).describe('The start page’s note per language.'),
    defaultLocale: z
      .enum(LOCALES)
      .nullable()
      .describe(
        'The default language: pages of the organisation (signed in, or opened at its address) use it when the person picked none and the browser asks for none sspr has; emails and SMS when the account saved none and no page caused them. null: English.',
      ),
    timeZone: z
      .string()
      .nullable()
      .describe(
        'The IANA time zone of dates and times on its pages and in its emails (shown with the zone). null: UTC.',
      ),
    logo: z
      .object({ url: z.string(), width: z.number().int(), height: z.number().int() })
      .nullable()
      .describe('Where sspr serves the re-encoded PNG (its address changes with its content).'),
  }),
  'AdminLook',
  'The organisation’s look and words.',
);

export const AdminLookInputSchema = named(
  z
    .object({
      displayName: z
        .string()
        .max(DISPLAY_NAME_MAX * 4)
        .nullable()
        .optional()
        .describe(`At most ${DISPLAY_NAME_MAX} characters on one line; null or "" removes it.`),
      primaryColour: z
        .string()
        .max(32)
        .nullable()
        .optional()
        .describe(
          '`#rrggbb`, refused (400 `look_invalid`, with both contrast ratios) unless white or near-black text on it reaches 4.5:1; null or "" removes it.',
        ),
      host: z
        .string()
        .max(300)
        .nullable()
        .optional()
        .describe(
          'A host name like `reset.contoso.com` (pointed at sspr by the organisation): pages opened there show the look before anyone signs in. Unique (409 `host_taken`).',
        ),
      defaultLocale: z
        .string()
        .max(20)
        .nullable()
        .optional()
        .describe(`One of ${LOCALES.join(', ')} (400 \`look_invalid\` otherwise); null or "" clears it (English).`),
      timeZone: z
        .string()
        .max(100)
        .nullable()
        .optional()
        .describe(
          'An IANA time zone name that Intl knows, like `Europe/Berlin` or `America/Sao_Paulo` (400 `look_invalid` otherwise); null or "" clears it (UTC).',
        ),
      startNotes: z
        .object(notesShape)
        .strict()
        .optional()
        .describe(
          `Per language (${LOCALES.join(', ')}), at most ${START_NOTE_MAX} characters; null or "" removes one, absent keeps it.`,
        ),
    })
    .strict(),
  'AdminLookBody',
  'The fields to change; absent fields stay as they are.',
);

const LOOK_ERRORS: Readonly<Record<number, string>> = {
  409: '`host_taken`: another organisation already uses this address.',
  413: '`logo_too_large` or `payload_too_large`: the logo is over 256 KiB.',
  415: '`logo_not_image`: not a PNG or JPEG that decodes (SVG is never accepted).',
};

const responses = (success: Parameters<typeof adminResponses>[0], errors: readonly number[]) =>
  adminResponses(success, errors, LOOK_ERRORS);

function requestContext(request: FastifyRequest): RequestContext {
  const ua = request.headers['user-agent'];
  return { ip: request.ip, userAgent: typeof ua === 'string' ? ua.slice(0, 300) : null };
}

/** The look as the API shows it (the logo as its address on sspr). */
export function lookJson(tenantId: string, look: TenantLook): z.infer<typeof AdminLookSchema> {
  return {
    displayName: look.displayName,
    primaryColour: look.primaryColour,
    host: look.host,
    startNotes: { ...look.startNotes },
    defaultLocale: look.defaultLocale,
    timeZone: look.timeZone,
    logo: look.logo
      ? {
          url: `${LOGO_PATH_PREFIX}/${encodeURIComponent(tenantId)}/logo-${look.logo.hash}.png`,
          width: look.logo.width,
          height: look.logo.height,
        }
      : null,
  };
}

function refused(
  request: FastifyRequest,
  reply: FastifyReply,
  r: { error: string; detail?: string; fields?: readonly LookFieldError[] },
): FastifyReply {
  if (r.error === 'look_invalid' && r.fields) {
    // each problem in the request's language (Accept-Language; English by default)
    const locale = (request.i18n as typeof request.i18n | null)?.locale ?? 'en';
    return sendAdminApiError(
      request,
      reply,
      'look_invalid',
      `${request.i18n.t('adminapi.error.look_invalid.list')}\n${r.fields.map((f) => `- ${f.field}: ${problemText(f.problem, locale)}`).join('\n')}`,
    );
  }
  // the catalogue's words in the request's language (the service's detail is English)
  return sendAdminApiError(request, reply, adminApiCode(r.error));
}

export async function lookApiRoutes(instance: FastifyInstance, app: App): Promise<void> {
  // a child scope: only here may a body be an image
  await instance.register(
    namedPlugin(async function lookApiUploads(child: FastifyInstance) {
      const api = child.withTypeProvider<ZodTypeProvider>();
      const actorOf = (request: FastifyRequest): Actor => request.apiActor!;

      child.addContentTypeParser(
        ['image/png', 'image/jpeg', 'application/octet-stream'],
        { parseAs: 'buffer', bodyLimit: LOGO_MAX_BYTES * 2 },
        (_request, body, done) => done(null, body),
      );

      api.get(
        '/look',
        {
          schema: {
            tags: TAGS,
            summary: 'The look and words',
            description:
              'The organisation’s display name, primary colour, address, default language, time zone, start-page notes and logo. Needs the scope `look:read`.',
            security: SECURITY,
            response: responses([200, AdminLookSchema, 'The look.'], []),
          },
        },
        async (request, reply) => {
          const actor = actorOf(request);
          const r = await app.looks.get(actor);
          if (!r.ok) return refused(request, reply, r);
          return reply.code(200).send(lookJson(request.apiActor!.tenantId, r.value));
        },
      );

      api.put(
        '/look',
        {
          bodyLimit: 16 * 1024,
          schema: {
            tags: TAGS,
            summary: 'Change the look and words',
            description:
              'Changes the fields sent; one refused field refuses them all (400 `look_invalid` names each problem, a colour’s with its contrast ratios). Audited. Needs the scope `look:write`.',
            security: SECURITY,
            body: AdminLookInputSchema,
            response: responses([200, AdminLookSchema, 'Saved (or already so).'], [400, 409]),
          },
        },
        async (request, reply) => {
          const body = request.body;
          const input: LookInput = {
            ...(body.displayName !== undefined ? { displayName: body.displayName } : {}),
            ...(body.primaryColour !== undefined ? { primaryColour: body.primaryColour } : {}),
            ...(body.host !== undefined ? { host: body.host } : {}),
            ...(body.defaultLocale !== undefined ? { defaultLocale: body.defaultLocale } : {}),
            ...(body.timeZone !== undefined ? { timeZone: body.timeZone } : {}),
            ...(body.startNotes !== undefined
              ? {
                  startNotes: Object.fromEntries(
                    Object.entries(body.startNotes).filter(([, v]) => v !== undefined) as [string, string | null][],
                  ),
                }
              : {}),
          };
          const r = await app.looks.update(actorOf(request), input, requestContext(request));
          if (!r.ok) return refused(request, reply, r);
          return reply.code(200).send(lookJson(request.apiActor!.tenantId, r.value));
        },
      );

      api.put(
        '/look/logo',
        {
          schema: {
            tags: TAGS,
            summary: 'Upload the logo',
            description:
              'The PNG or JPEG file as the raw body (`Content-Type: image/png` or `image/jpeg`), at most 256 KiB. It is decoded, turned upright, fitted into 480×160 and written as a new PNG without metadata; SVG and anything that does not decode are refused. Audited. Needs the scope `look:write`.',
            security: SECURITY,
            response: responses([200, AdminLookSchema, 'The logo is set.'], [400, 413, 415]),
          },
        },
        async (request, reply) => {
          const body = request.body;
          if (!Buffer.isBuffer(body)) {
            return sendAdminApiError(
              request,
              reply,
              'logo_not_image',
              request.i18n.t('adminapi.error.logo_not_image.body'),
            );
          }
          const r = await app.looks.setLogo(actorOf(request), new Uint8Array(body), requestContext(request));
          if (!r.ok) return refused(request, reply, r);
          return reply.code(200).send(lookJson(request.apiActor!.tenantId, r.value));
        },
      );

      api.delete(
        '/look/logo',
        {
          schema: {
            tags: TAGS,
            summary: 'Remove the logo',
            description: 'Pages and emails show no logo. Audited. Needs the scope `look:write`.',
            security: SECURITY,
            response: responses([200, AdminLookSchema, 'No logo.'], []),
          },
        },
        async (request, reply) => {
          const r = await app.looks.removeLogo(actorOf(request), requestContext(request));
          if (!r.ok) return refused(request, reply, r);
          return reply.code(200).send(lookJson(request.apiActor!.tenantId, r.value));
        },
      );
    }),
  );
}
