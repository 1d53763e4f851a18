import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { ApiScope } from '../../src/core/admin-rules.ts';
import type { Tenant } from '../../src/core/directory-model.ts';
import { translate } from '../../src/core/i18n.ts';
import { ADMIN_API_ERRORS } from '../../src/http/api/admin-api-errors.ts';
import { ADMIN_API_PREFIX } from '../../src/http/api/admin-api-plugin.ts';
import { createPagesKit, type PagesKit } from './reset-pages-kit.ts';

/**
 * The admin API's error messages in the request's language (issue 12): the same code and status
 * whatever the language, the message from `adminapi.error.<code>` in the Accept-Language's
 * language, the English words (unchanged) without one.
 */

type ApiError = { code: string; message: string; requestId: string };

describe('admin API errors in the request language', () => {
  let kit: PagesKit;
  let contoso: Tenant;
  before(async () => {
    kit = await createPagesKit();
    const c = await kit.app.directory.getTenantByName('Contoso Demo');
    assert.ok(c.ok);
    contoso = c.value;
  });
  after(() => kit.close());

  async function key(scopes: ApiScope[]): Promise<string> {
    const r = await kit.app.apiKeys.create({
      tenantId: contoso.id,
      name: scopes.join(' '),
      scopes,
      expiresAt: null,
      by: 'cli',
    });
    assert.ok(r.ok);
    return r.value.token;
  }

  async function call(
    token: string | null,
    method: 'GET' | 'PUT',
    path: string,
    language: string | null,
    body?: unknown,
  ): Promise<{ res: LightMyRequestResponse; error: ApiError }> {
    const res = await kit.server.inject({
      method,
      url: `${ADMIN_API_PREFIX}${path}`,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(language ? { 'accept-language': language } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    return { res, error: res.json<{ error: ApiError }>().error };
  }

  it('401 unauthorized: German with Accept-Language: de, the English words without; same code and status', async () => {
    const de = await call(null, 'GET', '/users', 'de-DE,de;q=0.9');
    assert.equal(de.res.statusCode, 401);
    assert.equal(de.error.code, 'unauthorized');
    assert.equal(de.error.message, translate('de', 'adminapi.error.unauthorized'));
    assert.match(de.error.message, /^Senden Sie einen gültigen, aktiven API-Schlüssel/);
    assert.equal(de.res.headers['www-authenticate'], 'Bearer realm="sspr-admin-api"');
    const en = await call(null, 'GET', '/users', null);
    assert.equal(en.res.statusCode, 401);
    assert.equal(en.error.code, 'unauthorized');
    assert.equal(en.error.message, 'Send a valid, live API key: Authorization: Bearer sspr_<keyId>_<secret>.');
    assert.equal(ADMIN_API_ERRORS.unauthorized.message, en.error.message);
  });

  it('404 not_found in Japanese, 403 scope_missing in French naming the scope', async () => {
    const reader = await key(['users:read']);
    const ja = await call(reader, 'GET', '/users/00000000-0000-4000-8000-000000000000', 'ja');
    assert.equal(ja.res.statusCode, 404);
    assert.equal(ja.error.code, 'not_found');
    assert.equal(ja.error.message, 'この組織にそのリソースはありません。');

    const resetsOnly = await key(['resets:write']);
    const fr = await call(resetsOnly, 'GET', '/users', 'fr');
    assert.equal(fr.res.statusCode, 403);
    assert.equal(fr.error.code, 'scope_missing');
    assert.equal(fr.error.message, 'Cette clé d’API n’a pas la portée (scope) users:read.');
    const en = await call(resetsOnly, 'GET', '/users', 'en-US');
    assert.equal(en.error.message, 'This API key does not have the scope users:read.');
  });

  it('400 look_invalid in Arabic: the heading and each problem in Arabic, the field names as sent', async () => {
    const writer = await key(['look:write']);
    const ar = await call(writer, 'PUT', '/look', 'ar', { primaryColour: 'not a colour' });
    assert.equal(ar.res.statusCode, 400);
    assert.equal(ar.error.code, 'look_invalid');
    const [heading, ...lines] = ar.error.message.split('\n');
    assert.equal(heading, translate('ar', 'adminapi.error.look_invalid.list'));
    assert.equal(lines.length, 1);
    assert.ok(lines[0]!.startsWith('- primaryColour: '), lines[0]);
    assert.equal(lines[0], `- primaryColour: ${translate('ar', 'admin.look.problem.colourFormat')}`);
    assert.doesNotMatch(ar.error.message, /[A-Za-z]{4,} [a-z]{3,} [a-z]{3,}/, 'no English sentence');
  });
});
