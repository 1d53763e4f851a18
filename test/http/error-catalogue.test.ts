import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Denial } from '../../src/core/admin-rules.ts';
import type { ImportFileError } from '../../src/core/account-import.ts';
import type { AuditFilterProblem } from '../../src/core/audit-view.ts';
import { ERROR_CODES, type ErrorCode } from '../../src/core/error-codes.ts';
import type { TransitionError } from '../../src/core/reset-flow.ts';
import { STEP_PROBLEMS } from '../../src/core/ui-text.ts';
import { ADMIN_API_ERRORS } from '../../src/http/api/admin-api-errors.ts';
import { OPENAPI_PATH } from '../../src/http/api/reset-api-plugin.ts';
import { ERROR_STATUS, HTTP_ERRORS, httpStatus } from '../../src/http/errors.ts';
import { PAGE_PROBLEMS } from '../../src/core/ui-text.ts';
import { buildServer } from '../../src/http/server.ts';
import type { CreateApiKeyError, RevokeApiKeyError } from '../../src/service/api-key-service.ts';
import type { AssistedPasswordError, LinkError } from '../../src/service/assisted-reset-service.ts';
import type { DirectoryError } from '../../src/service/directory-service.ts';
import type { SubmitError } from '../../src/service/help-request-service.ts';
import type { OperatorAddError, OperatorSigninError } from '../../src/service/operator-service.ts';
import type { StepError } from '../../src/service/reset-service.ts';
import type { SecurityInfoError } from '../../src/service/security-info-service.ts';
import type { ChangePasswordError, SigninError } from '../../src/service/session-service.ts';
import { createTestApp } from '../helpers/test-app.ts';

// Compile-time half of the catalogue check: every service's error union names only catalogued
// codes (`npm test` type-checks this file; a new code outside the catalogue fails there).
type Catalogued<T extends ErrorCode> = T;
export type ServiceErrorsAreCatalogued = [
  Catalogued<StepError>,
  Catalogued<SecurityInfoError>,
  Catalogued<SigninError | ChangePasswordError>,
  Catalogued<OperatorAddError | OperatorSigninError>,
  Catalogued<DirectoryError>,
  Catalogued<SubmitError>,
  Catalogued<CreateApiKeyError | RevokeApiKeyError>,
  Catalogued<LinkError | AssistedPasswordError>,
  Catalogued<Denial>,
  Catalogued<ImportFileError | AuditFilterProblem | TransitionError>,
];

const CODE = /^[a-z]+(?:_[a-z]+)+$|^[a-z]+$/;

test('every catalogued code has a meaning and exactly one HTTP status, and the status map names no other code', () => {
  const codes = Object.keys(ERROR_CODES).sort();
  assert.deepEqual(Object.keys(ERROR_STATUS).sort(), codes);
  for (const code of codes) {
    assert.match(code, CODE, code);
    assert.ok(ERROR_CODES[code as ErrorCode].length > 10, `${code} has a meaning`);
    const status = ERROR_STATUS[code as ErrorCode];
    assert.ok(Number.isInteger(status) && status >= 400 && status < 600, `${code} → ${status}`);
    assert.equal(httpStatus(code), status);
  }
});

test('the words catalogues of the pages, the reset API and the admin API use catalogued codes only', () => {
  const worded = [
    ...Object.keys(HTTP_ERRORS),
    ...Object.keys(STEP_PROBLEMS),
    ...Object.keys(PAGE_PROBLEMS),
    ...Object.keys(ADMIN_API_ERRORS),
  ];
  assert.deepEqual(
    worded.filter((c) => !Object.hasOwn(ERROR_CODES, c)),
    [],
  );
});

test('a code outside the catalogue answers 400, never a success', () => {
  assert.equal(httpStatus('no_such_code'), 400);
  assert.equal(httpStatus('flow_expired'), 410);
  assert.equal(httpStatus('too_many_codes'), 400);
  assert.equal(httpStatus('sending_limit'), 429);
});

test('every error code the OpenAPI document names is in the catalogue, with the status it is documented under', async () => {
  const { app, cleanup } = await createTestApp();
  const server = await buildServer(app);
  try {
    const res = await server.inject({ url: OPENAPI_PATH });
    assert.equal(res.statusCode, 200);
    const doc = res.json() as {
      paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>>;
    };
    const named = new Set<string>();
    let checked = 0;
    for (const operations of Object.values(doc.paths)) {
      for (const op of Object.values(operations)) {
        for (const [status, response] of Object.entries(op.responses)) {
          if (Number(status) < 400) continue;
          for (const [, code] of response.description.matchAll(/`([a-z_]+)`/g)) {
            named.add(code!);
            assert.ok(Object.hasOwn(ERROR_CODES, code!), `${code} (documented under ${status}) is catalogued`);
            // the admin API answers an unknown or other tenant's id as `not_found`: same status
            assert.equal(ERROR_STATUS[code as ErrorCode], Number(status), `${code} is documented under ${status}`);
            checked++;
          }
        }
      }
    }
    assert.ok(checked > 20, `the document names error codes (${checked} found)`);
    for (const code of [
      'flow_not_found',
      'flow_expired',
      'wrong_browser',
      'rate_limited',
      'unauthorized',
      'no_methods',
    ])
      assert.ok(named.has(code), `${code} is documented`);
  } finally {
    await server.close();
    await cleanup();
  }
});
