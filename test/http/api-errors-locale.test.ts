import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { translate } from '../../src/core/i18n.ts';
import { STEP_PROBLEMS } from '../../src/core/ui-text.ts';
import { HTTP_ERRORS } from '../../src/http/errors.ts';
import { buildServer } from '../../src/http/server.ts';
import { setupDemo } from '../../src/service/demo.ts';
import { createTestApp, type TestApp } from '../helpers/test-app.ts';

/**
 * The reset API's error messages in the request's language (issue 12): the same stable code and
 * status whatever the language; the `message` from the catalogue in the Accept-Language's language,
 * English (the words of STEP_PROBLEMS) without one.
 */

const FLOW = '/api/v1/reset/flow';

describe('reset API errors in the request language', () => {
  let t: TestApp;
  let server: FastifyInstance;
  before(async () => {
    t = await createTestApp();
    await setupDemo(t.app.directory, t.app.random, 'test');
    server = await buildServer(t.app);
    await server.ready();
  });
  after(async () => {
    await server.close();
    await t.cleanup();
  });

  async function flowNotFound(headers: Record<string, string>) {
    const res = await server.inject({
      method: 'GET',
      url: FLOW,
      headers: { 'x-flow-secret': 'no-such-flow.not-a-secret', ...headers },
    });
    assert.equal(res.statusCode, 404);
    return res.json<{ error: { code: string; message: string; requestId: string } }>().error;
  }

  it('Accept-Language: de answers in German, with the same code', async () => {
    const error = await flowNotFound({ 'accept-language': 'de-DE,de;q=0.9,en;q=0.5' });
    assert.equal(error.code, 'flow_not_found');
    assert.equal(error.message, translate('de', 'problem.flow_not_found.message'));
    assert.match(error.message, /In diesem Browser läuft kein Zurücksetzen/);
    assert.ok(error.requestId);
  });

  it('Accept-Language: ar answers in Arabic; without one, English word for word', async () => {
    const ar = await flowNotFound({ 'accept-language': 'ar' });
    assert.equal(ar.code, 'flow_not_found');
    assert.equal(ar.message, translate('ar', 'problem.flow_not_found.message'));
    const en = await flowNotFound({});
    assert.equal(en.code, 'flow_not_found');
    assert.equal(en.message, STEP_PROBLEMS.flow_not_found.message);
  });

  it('a generic error (not_found) in German too, its code unchanged; English without Accept-Language', async () => {
    const de = await server.inject({
      method: 'GET',
      url: '/api/v1/reset/no-such-route',
      headers: { 'accept-language': 'de' },
    });
    assert.equal(de.statusCode, 404);
    const body = de.json<{ error: { code: string; message: string } }>().error;
    assert.equal(body.code, 'not_found');
    assert.equal(body.message, translate('de', 'http.not_found.message'));
    const en = await server.inject({ method: 'GET', url: '/api/v1/reset/no-such-route' });
    assert.equal(en.json<{ error: { message: string } }>().error.message, HTTP_ERRORS.not_found.message);
  });

  it('an error page for a browser: its ways on in the page language too (German, Arabic; English without)', async () => {
    const page = async (lang: string | null) => {
      const res = await server.inject({
        method: 'GET',
        url: '/no-such-page',
        headers: { accept: 'text/html', ...(lang ? { 'accept-language': lang } : {}) },
      });
      assert.equal(res.statusCode, 404);
      return res.body;
    };
    for (const locale of ['de', 'ar'] as const) {
      const html = await page(locale);
      for (const id of ['http.page.startReset', 'http.page.home', 'reset.contact.helpLink'] as const)
        assert.ok(html.includes(translate(locale, id)), `${locale}: ${id}`);
      assert.ok(!html.includes('Go to the home page'), `${locale}: no English way on`);
    }
    const en = await page(null);
    assert.ok(en.includes('Go to the home page') && en.includes('Start a password reset'));
  });
});
