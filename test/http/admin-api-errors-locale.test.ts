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

  it('400 invalid_directory_settings in German and Japanese: each problem in that language, the field names as sent', async () => {
    const writer = await key(['directory:read', 'directory:write']);
    const body = { kind: 'ldap', urls: ['ldap://x.example', 'http://y.example'], userFilter: '(uid=x)', poolSize: 99 };
    const expected = (locale: 'de' | 'ja' | 'en') => [
      `- urls: ${translate(locale, 'directory.settings.problem.urlFormat', { url: 'http://y.example' })}`,
      `- urls: ${translate(locale, 'directory.settings.problem.urlsPlain')}`,
      `- bindDn: ${translate(locale, 'directory.settings.problem.bindDn')}`,
      `- bindPassword: ${translate(locale, 'directory.settings.problem.bindPassword')}`,
      `- baseDn: ${translate(locale, 'directory.settings.problem.baseDn')}`,
      `- userFilter: ${translate(locale, 'directory.settings.problem.userFilterPlaceholder', { placeholder: '{login}' })}`,
      `- poolSize: ${translate(locale, 'directory.settings.problem.wholeNumber', { min: '1', max: '16' })}`,
    ];
    for (const locale of ['de', 'ja'] as const) {
      const r = await call(writer, 'PUT', '/directory', locale, body);
      assert.equal(r.res.statusCode, 400);
      assert.equal(r.error.code, 'invalid_directory_settings');
      const [heading, ...lines] = r.error.message.split('\n');
      assert.equal(heading, translate(locale, 'adminapi.error.invalid_directory_settings.list'));
      assert.deepEqual(lines, expected(locale), locale);
      assert.doesNotMatch(r.error.message, /at least one|the service account|where the accounts are|whole number/);
    }
    const de = await call(writer, 'PUT', '/directory', 'de', body);
    assert.match(de.error.message, /- bindDn: der DN des Dienstkontos/);
    assert.match(de.error.message, /- poolSize: eine ganze Zahl von 1 bis 16/);
    // the words of the tenant's own secret place too
    const stolen = await call(writer, 'PUT', '/directory', 'ja', {
      kind: 'ldap',
      urls: ['ldaps://x.example'],
      bindDn: 'cn=sspr,dc=example',
      bindPassword: 'env:HOME',
      baseDn: 'dc=example',
    });
    assert.equal(stolen.res.statusCode, 400);
    assert.match(stolen.error.message, /\n- bindPassword: この組織では env:/);
    // English without Accept-Language, word for word as before
    const en = await call(writer, 'PUT', '/directory', null, body);
    assert.deepEqual(en.error.message.split('\n').slice(1), expected('en'));
    assert.ok(en.error.message.includes('- urls: "http://y.example" is not ldaps://host[:port] or ldap://host[:port]'));
    assert.equal(
      (await kit.app.store.directory.getTenantDirectory(contoso.id)) ?? null,
      null,
      'a refused PUT saves nothing',
    );
  });
});
