import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Challenge } from 'altcha-lib';
// ajv comes with fastify (it validates with it); used here only to check the document's schemas
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FastifyInstance } from 'fastify';
import { OPENAPI_PATH, RESET_API_PREFIX } from '../../src/http/api/reset-api-plugin.ts';
import { buildServer } from '../../src/http/server.ts';
import { setupDemo } from '../../src/service/demo.ts';
import { solveCaptcha } from '../helpers/captcha.ts';
import { createTestApp } from '../helpers/test-app.ts';

/** The OpenAPI document at /api/openapi.json: complete, consistent, and true to what the API answers. */

interface Operation {
  readonly security?: Record<string, string[]>[];
  readonly tags?: string[];
  readonly requestBody?: { content: Record<string, { schema: unknown }> };
  readonly responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
}
interface Doc {
  readonly openapi: string;
  readonly info: { title: string; version: string };
  readonly paths: Record<string, Record<string, Operation>>;
  readonly components: {
    readonly schemas: Record<string, object>;
    readonly securitySchemes: Record<string, Record<string, string>>;
  };
}

/** The reset API as the contract lists it. */
const EXPECTED: readonly [method: string, path: string, withFlow: boolean, body: boolean][] = [
  ['get', '/challenge', false, false],
  ['post', '/start', false, true],
  ['get', '/flow', true, false],
  ['post', '/flow/code', true, true],
  ['post', '/flow/resend', true, false],
  ['post', '/flow/use-phone', true, false],
  ['post', '/flow/use-authenticator', true, false],
  ['post', '/flow/use-passkey', true, false],
  ['get', '/flow/passkey/options', true, false],
  ['post', '/flow/passkey', true, true],
  ['post', '/flow/back-to-email', true, false],
  ['post', '/flow/retype-phone', true, false],
  ['post', '/flow/phone', true, true],
  ['post', '/flow/password', true, true],
  ['post', '/flow/unlock', true, false],
  ['post', '/link', true, true],
];

/** Every route the server has, from Fastify's route tree (full paths: no common prefixes folded). */
function serverRoutes(server: FastifyInstance): { method: string; url: string }[] {
  const stack: string[] = [];
  const out: { method: string; url: string }[] = [];
  for (const line of server.printRoutes({ commonPrefix: false }).split('\n')) {
    const m = /^((?:│ {3}| {4})*)(?:├── |└── )(.+?)(?: \(([A-Z, ]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = m[1]!.length / 4;
    const url = (depth > 0 ? (stack[depth - 1] ?? '') : '') + m[2]!;
    stack.length = depth;
    stack[depth] = url;
    for (const method of m[3]?.split(', ') ?? []) out.push({ method: method.toLowerCase(), url });
  }
  return out;
}

function refsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) value.forEach((v) => refsIn(v, found));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') found.push(v);
      else refsIn(v, found);
    }
  return found;
}

test('GET /api/openapi.json: an OpenAPI 3 document listing every reset route, its bodies, answers and errors', async () => {
  const { app, cleanup } = await createTestApp({ SSPR_CAPTCHA_MAX_NUMBER: '1000' });
  const server = await buildServer(app);
  try {
    await setupDemo(app.directory, app.random, 'test');
    await server.ready();
    const res = await server.inject({ url: OPENAPI_PATH });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.equal(res.headers['cache-control'], 'no-store');
    const doc = JSON.parse(res.body) as Doc;
    assert.match(doc.openapi, /^3\.\d+\.\d+$/);
    assert.ok(doc.info.title.length > 0 && doc.info.version.length > 0, 'info has a title and a version');

    // the security scheme for the flow credential
    assert.deepEqual(
      { type: doc.components.securitySchemes.flowSecret?.type, in: doc.components.securitySchemes.flowSecret?.in },
      { type: 'apiKey', in: 'header' },
    );
    assert.equal(doc.components.securitySchemes.flowSecret?.name, 'X-Flow-Secret');

    // every route of the contract, with its body, its security and Error answers
    for (const [method, path, withFlow, body] of EXPECTED) {
      const op = doc.paths[`${RESET_API_PREFIX}${path}`]?.[method];
      assert.ok(op, `${method.toUpperCase()} ${path} is documented`);
      assert.deepEqual(op.tags, ['reset']);
      if (withFlow) assert.deepEqual(op.security, [{ flowSecret: [] }], `${path} needs X-Flow-Secret`);
      else assert.equal(op.security, undefined, `${path} needs no flow`);
      assert.equal(op.requestBody !== undefined, body, `${path} request body`);
      if (body) assert.ok(op.requestBody?.content['application/json'], `${path} takes JSON`);
      const statuses = Object.keys(op.responses);
      const success = statuses.filter((s) => s.startsWith('2'));
      assert.equal(success.length, 1, `${path}: one success status`);
      assert.equal(success[0], path === '/start' ? '202' : '200');
      for (const [status, response] of Object.entries(op.responses)) {
        assert.ok(response.description.length > 0, `${path} ${status} is described`);
        const schema = response.content?.['application/json']?.schema;
        assert.ok(schema, `${path} ${status} has a JSON schema`);
        if (!status.startsWith('2')) assert.deepEqual(schema, { $ref: '#/components/schemas/Error' });
      }
      if (path !== '/challenge')
        assert.ok(
          statuses.some((s) => s.startsWith('4')),
          `${path} documents its errors`,
        );
      if (withFlow) assert.ok(statuses.includes(path === '/link' ? '403' : '404'), `${path}: the flow errors`);
    }
    const doc403 = doc.paths[`${RESET_API_PREFIX}/link`]!.post!.responses['403']!.description;
    assert.match(doc403, /wrong_browser/);
    assert.match(doc.paths[`${RESET_API_PREFIX}/flow/code`]!.post!.responses['400']!.description, /invalid_code/);

    // every route the server has under /api/v1 is in the document, and nothing else is
    // (path parameters: Fastify's `:id` is OpenAPI's `{id}`)
    const routes = serverRoutes(server)
      .filter((r) => r.url.startsWith('/api/v1/') && r.method !== 'head')
      .map((r) => ({ ...r, url: r.url.replace(/:(\w+)/g, '{$1}') }));
    assert.ok(
      routes.some((r) => r.method === 'post' && r.url === `${RESET_API_PREFIX}/flow/code`),
      'the route tree was read',
    );
    for (const r of routes) assert.ok(doc.paths[r.url]?.[r.method], `${r.method} ${r.url} is documented`);
    const documented = Object.entries(doc.paths).flatMap(([url, ops]) => Object.keys(ops).map((m) => `${m} ${url}`));
    assert.deepEqual(documented.sort(), routes.map((r) => `${r.method} ${r.url}`).sort());
    // the admin API (/api/v1/admin/…) shares the document; its routes are checked in admin-api-openapi.test.ts
    assert.equal(documented.filter((d) => d.includes(`${RESET_API_PREFIX}/`)).length, EXPECTED.length);

    // every reference resolves, and every schema is a valid JSON Schema (2020-12, as OpenAPI 3.1 says)
    for (const ref of refsIn(doc)) {
      const name = /^#\/components\/schemas\/(.+)$/.exec(ref)?.[1];
      assert.ok(name && doc.components.schemas[name], `${ref} resolves`);
    }
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema({ $id: 'doc', components: doc.components } as object);
    const validate = (name: string, value: unknown): string[] => {
      const check = ajv.compile({ $ref: `doc#/components/schemas/${name}` });
      return check(value) ? [] : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
    };
    for (const name of Object.keys(doc.components.schemas)) ajv.compile({ $ref: `doc#/components/schemas/${name}` });

    // and what the API answers matches it
    const challenge = await server.inject({ url: `${RESET_API_PREFIX}/challenge` });
    assert.deepEqual(validate('AltchaChallenge', challenge.json()), []);
    const altcha = await solveCaptcha(challenge.json<Challenge>());
    assert.deepEqual(validate('ResetStartRequest', { login: 'user@contoso.example', altcha }), []);
    assert.notDeepEqual(validate('ResetStartRequest', { login: 7 }), [], 'the schemas do reject');
    const started = await server.inject({
      method: 'POST',
      url: `${RESET_API_PREFIX}/start`,
      payload: { login: 'user@contoso.example', altcha },
    });
    assert.equal(started.statusCode, 202);
    assert.deepEqual(validate('ResetStartResponse', started.json()), []);
    const { flowId, flowSecret } = started.json<{ flowId: string; flowSecret: string }>();
    const flow = await server.inject({
      url: `${RESET_API_PREFIX}/flow`,
      headers: { 'x-flow-secret': `${flowId}.${flowSecret}` },
    });
    assert.deepEqual(validate('ResetFlowResponse', flow.json()), []);
    const moved = await server.inject({
      method: 'POST',
      url: `${RESET_API_PREFIX}/flow/use-phone`,
      headers: { 'x-flow-secret': `${flowId}.${flowSecret}` },
    });
    assert.equal(moved.statusCode, 200);
    assert.deepEqual(validate('ResetStepResponse', moved.json()), []);
    const missing = await server.inject({ url: `${RESET_API_PREFIX}/flow` });
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(validate('Error', missing.json()), []);
  } finally {
    await server.close();
    await cleanup();
  }
});
