import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DIRECTORY_WRITE_ERRORS,
  directoryWriteError,
  effectiveMinLength,
  isAdminRefusal,
  isDirectoryWriteError,
  isLoggedRefusal,
} from '../../src/core/directory-refusals.ts';
import type { DirectoryRefusal } from '../../src/core/directory-rules.ts';
import { ERROR_CODES } from '../../src/core/error-codes.ts';
import { STEP_PROBLEMS } from '../../src/core/ui-text.ts';
import { ERROR_STATUS } from '../../src/http/errors.ts';

const REFUSALS = Object.keys(DIRECTORY_WRITE_ERRORS) as DirectoryRefusal[];

test('every refusal of a password write is a catalogued code with a status and words for the person', () => {
  for (const refusal of REFUSALS) {
    const code = directoryWriteError(refusal);
    assert.ok(isDirectoryWriteError(code), code);
    assert.ok(Object.hasOwn(ERROR_CODES, code), `${code} is in the error catalogue`);
    assert.ok(ERROR_STATUS[code] >= 400, `${code} has a status`);
    const words = STEP_PROBLEMS[code];
    assert.ok(words.title.length > 5 && words.message.length > 40, `${code} has words`);
    assert.match(words.message, /Nothing was changed/, `${code} says nothing was changed`);
  }
  assert.equal(isDirectoryWriteError('password_too_short'), false);
});

test('a bind answer (wrong password) is no refusal of a write: it reads as rejected', () => {
  assert.equal(directoryWriteError('wrong_password'), 'directory_rejected');
});

test('what only an administrator can fix sends the person to them; the password rules send them to another password', () => {
  for (const refusal of REFUSALS) {
    const message = STEP_PROBLEMS[directoryWriteError(refusal)].message;
    if (isAdminRefusal(refusal)) assert.match(message, /Contact your administrator/, refusal);
  }
  assert.deepEqual(
    REFUSALS.filter(isAdminRefusal).sort(),
    ['not_allowed', 'rejected', 'tls_required', 'wrong_password'].sort(),
  );
  assert.deepEqual(
    ['too_short', 'not_complex', 'in_history'].map((r) => ERROR_STATUS[directoryWriteError(r as DirectoryRefusal)]),
    [400, 400, 400],
  );
  assert.equal(ERROR_STATUS.directory_unreachable, 503);
});

test('the operator log gets the outages and the configuration problems, not a person’s weak password', () => {
  assert.deepEqual(REFUSALS.filter(isLoggedRefusal).sort(), [
    'not_allowed',
    'rejected',
    'tls_required',
    'unreachable',
    'wrong_password',
  ]);
});

test("sspr's minimum length is never below the directory's", () => {
  assert.equal(effectiveMinLength(15, null), 15);
  assert.equal(effectiveMinLength(15, 7), 15);
  assert.equal(effectiveMinLength(15, 15), 15);
  assert.equal(effectiveMinLength(15, 16), 16);
  assert.equal(effectiveMinLength(8, 20), 20);
});
