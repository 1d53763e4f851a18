import { test } from 'node:test';
import assert from 'node:assert/strict';
// ajv comes with fastify (it validates with it); used here only to check the document's schemas
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ADMIN_API_PREFIX } from '../../src/http/api/admin-api-plugin.ts';
import { OPENAPI_PATH, RESET_API_PREFIX } from '../../src/http/api/reset-api-plugin.ts';
import { createPagesKit } from './reset-pages-kit.ts';

/** The admin API in the one OpenAPI document at /api/openapi.json, next to the reset API. */

interface Operation {
  readonly security?: Record<string, string[]>[];
  readonly tags?: string[];
  readonly description?: string;
  readonly parameters?: { name: string; in: string }[];
  readonly requestBody?: { content: Record<string, { schema: unknown }> };
  readonly responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
}
interface Doc {
  readonly paths: Record<string, Record<string, Operation>>;
  readonly tags: { name: string }[];
  readonly components: {
    readonly schemas: Record<string, object>;
    readonly securitySchemes: Record<string, Record<string, string>>;
  };
}

/** method, path, scopes named in the description, body, success status, success schema */
const EXPECTED: readonly [string, string, string[], boolean, string, string][] = [
  ['get', '/users', ['users:read'], false, '200', 'AdminUserList'],
  ['get', '/users/{id}', ['users:read'], false, '200', 'AdminUserResponse'],
  ['put', '/users/{id}/methods/{kind}', ['users:write'], true, '200', 'AdminMethodResponse'],
  ['post', '/users/{id}/reset-link', ['resets:write'], false, '202', 'AdminResetLinkResponse'],
  ['post', '/users/{id}/unblock', ['users:write'], false, '200', 'AdminUnblockResponse'],
  ['post', '/users/{id}/unlock', ['users:write'], false, '200', 'AdminUnlockResponse'],
  ['post', '/users/{id}/verify-caller', ['resets:write'], false, '202', 'AdminVerifyCallerStarted'],
  ['post', '/users/{id}/verify-caller/confirm', ['resets:write'], true, '200', 'AdminCallerVerified'],
  ['post', '/users/{id}/call-check', ['users:read'], false, '201', 'AdminCallCheck'],
  ['get', '/help-requests', ['help:read'], false, '200', 'AdminHelpRequestList'],
  ['post', '/help-requests/{id}/resolve', ['help:write', 'resets:write'], false, '200', 'AdminHelpActionResponse'],
  ['post', '/help-requests/{id}/dismiss', ['help:write'], true, '200', 'AdminHelpActionResponse'],
  ['get', '/audit', ['audit:read'], false, '200', 'AdminAuditPage'],
  ['get', '/directory', ['directory:read'], false, '200', 'AdminDirectoryResponse'],
  ['put', '/directory', ['directory:write'], true, '200', 'AdminDirectorySetResponse'],
  ['delete', '/directory', ['directory:write'], false, '200', 'AdminDirectoryRemoveResponse'],
  ['post', '/directory/check', ['directory:read'], false, '200', 'AdminDirectoryCheckResponse'],
  ['get', '/look', ['look:read'], false, '200', 'AdminLook'],
  ['put', '/look', ['look:write'], true, '200', 'AdminLook'],
  // the logo is the raw body (image/png or image/jpeg), described in words
  ['put', '/look/logo', ['look:write'], false, '200', 'AdminLook'],
  ['delete', '/look/logo', ['look:write'], false, '200', 'AdminLook'],
  ['get', '/policy/gates', ['policy:read'], false, '200', 'AdminGatePolicy'],
  ['put', '/policy/gates', ['policy:write'], true, '200', 'AdminGatePolicy'],
  ['get', '/policy/gates/coverage', ['policy:read'], false, '200', 'AdminGateCoverage'],
];

test('/api/openapi.json lists every admin route with the bearer scheme, scopes, errors and schemas that match the answers', async () => {
  const kit = await createPagesKit();
  try {
    const res = await kit.server.inject({ url: OPENAPI_PATH });
    assert.equal(res.statusCode, 200);
    const doc = res.json() as Doc;
    assert.deepEqual(
      doc.components.securitySchemes.apiKey && { ...doc.components.securitySchemes.apiKey, description: '' },
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'sspr_<keyId>_<secret>',
        description: '',
      },
    );
    assert.ok(doc.components.securitySchemes.flowSecret, 'the reset scheme is still there');
    assert.deepEqual(doc.tags.map((t) => t.name).sort(), ['admin', 'reset']);
    assert.ok(doc.paths[`${RESET_API_PREFIX}/start`]?.post, 'the reset routes are in the same document');

    for (const [method, path, scopes, body, status, schema] of EXPECTED) {
      const op = doc.paths[`${ADMIN_API_PREFIX}${path}`]?.[method];
      assert.ok(op, `${method.toUpperCase()} ${path} is documented`);
      assert.deepEqual(op.tags, ['admin']);
      assert.deepEqual(op.security, [{ apiKey: [] }], `${path} needs the API key`);
      for (const scope of scopes) assert.ok(op.description?.includes(`\`${scope}\``), `${path} names ${scope}`);
      assert.equal(op.requestBody !== undefined, body, `${path} request body`);
      for (const name of path.match(/\{(\w+)\}/g) ?? [])
        assert.ok(
          op.parameters?.some((p) => p.in === 'path' && `{${p.name}}` === name),
          `${path}: ${name} documented`,
        );
      const success = Object.keys(op.responses).filter((s) => s.startsWith('2'));
      assert.deepEqual(success, [status], `${path} success status`);
      assert.deepEqual(op.responses[status]!.content?.['application/json']?.schema, {
        $ref: `#/components/schemas/${schema}`,
      });
      for (const s of ['401', '403']) {
        assert.deepEqual(op.responses[s]?.content?.['application/json']?.schema, {
          $ref: '#/components/schemas/Error',
        });
        assert.ok(op.responses[s]!.description.length > 0);
      }
      if (path.includes('{id}')) assert.ok(op.responses['404'], `${path} documents 404`);
    }
    const adminPaths = Object.entries(doc.paths)
      .filter(([url]) => url.startsWith(`${ADMIN_API_PREFIX}/`))
      .flatMap(([url, ops]) => Object.keys(ops).map((m) => `${m} ${url}`));
    assert.equal(adminPaths.length, EXPECTED.length, 'no undocumented extras');
    const usersQuery = doc.paths[`${ADMIN_API_PREFIX}/users`]!.get!.parameters!.map((p) => p.name).sort();
    assert.deepEqual(usersQuery, ['blocked', 'limit', 'registration', 'role', 'search']);
    const auditQuery = doc.paths[`${ADMIN_API_PREFIX}/audit`]!.get!.parameters!.map((p) => p.name).sort();
    assert.deepEqual(auditQuery, ['account', 'cursor', 'limit', 'outcome', 'since', 'type', 'until']);

    // what the API answers validates against the document's schemas
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema({ $id: 'doc', components: doc.components } as object);
    const validate = (name: string, value: unknown): string[] => {
      const check = ajv.compile({ $ref: `doc#/components/schemas/${name}` });
      return check(value) ? [] : (check.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
    };
    const tenant = await kit.app.directory.getTenantByName('Contoso Demo');
    assert.ok(tenant.ok);
    const created = await kit.app.apiKeys.create({
      tenantId: tenant.value.id,
      name: 'doc',
      scopes: ['users:read', 'help:read', 'audit:read'],
      expiresAt: null,
      by: 'cli',
    });
    assert.ok(created.ok);
    const get = (url: string) =>
      kit.server.inject({
        url: `${ADMIN_API_PREFIX}${url}`,
        headers: { authorization: `Bearer ${created.value.token}` },
      });
    const users = await get('/users');
    assert.deepEqual(validate('AdminUserList', users.json()), []);
    const userId = (users.json() as { users: { id: string }[] }).users[0]!.id;
    assert.deepEqual(validate('AdminUserResponse', (await get(`/users/${userId}`)).json()), []);
    assert.ok(
      (await kit.app.help.submit('user@contoso.example', 'help me', { ip: null, userAgent: null })).ok,
      'a help request',
    );
    const help = await get('/help-requests');
    assert.equal((help.json() as { requests: unknown[] }).requests.length, 1);
    assert.deepEqual(validate('AdminHelpRequestList', help.json()), []);
    assert.deepEqual(validate('AdminAuditPage', (await get('/audit?limit=5')).json()), []);
    const missing = await get(`/users/nobody`);
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(validate('Error', missing.json()), []);
    assert.notDeepEqual(validate('AdminUserList', { users: [{ id: 1 }] }), [], 'the schemas do reject');
  } finally {
    await kit.close();
  }
});
