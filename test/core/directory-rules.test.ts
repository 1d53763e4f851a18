import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  checkUserFilterTemplate,
  classifyDirectoryAnswer,
  escapeFilterValue,
  isPasswordRuleRefusal,
  userFilter,
  type DirectoryRefusal,
} from '../../src/core/directory-rules.ts';

// The answers seen from Samba 4.17 AD and OpenLDAP 2.5 ppolicy (../shared/directories.md), and what each means.
const answers: [number | null, string, DirectoryRefusal][] = [
  [
    19,
    '0000052D: Constraint violation - check_password_restrictions: the password is too short. It should be equal or longer than 7 characters!',
    'too_short',
  ],
  [
    19,
    '0000052D: Constraint violation - check_password_restrictions: the password does not meet the complexity criteria!',
    'not_complex',
  ],
  [
    19,
    '0000052D: Constraint violation - check_password_restrictions: the password was already used (in history)!',
    'in_history',
  ],
  [19, '0000052D: Constraint violation - check_password_restrictions: password is too young to change!', 'too_young'],
  [19, 'Password fails quality checking policy', 'not_complex'],
  [19, 'Password is in history of old passwords', 'in_history'],
  [50, '00002098: SecErr: DSID-03150F94, problem 4003 (INSUFF_ACCESS_RIGHTS), data 0', 'not_allowed'],
  [8, 'BindSimple: Transport encryption required.', 'tls_required'],
  [53, '00002077: SvcErr: DSID-03190F80, problem 5003 (WILL_NOT_PERFORM), data 0', 'tls_required'],
  [13, 'confidentiality required', 'tls_required'],
  [49, '80090308: LdapErr: DSID-0C09041C, comment: AcceptSecurityContext error, data 52e, v4563', 'wrong_password'],
  [49, '80090308: LdapErr: DSID-0C09041C, comment: AcceptSecurityContext error, data 533, v4563', 'disabled'],
  [49, '80090308: LdapErr: DSID-0C09041C, comment: AcceptSecurityContext error, data 775, v4563', 'locked'],
  [49, '80090308: LdapErr: DSID-0C09041C, comment: AcceptSecurityContext error, data 773, v4563', 'must_change'],
  [49, '', 'wrong_password'],
  [52, 'unavailable', 'unreachable'],
  [51, 'busy', 'unreachable'],
  [null, 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:636', 'unreachable'],
  [32, 'no such object', 'rejected'],
];

test('every directory answer seen on Samba AD and OpenLDAP ppolicy maps to its refusal', () => {
  for (const [code, message, expected] of answers)
    assert.equal(classifyDirectoryAnswer({ code, message }), expected, `${code} ${message}`);
});

test('only length, complexity and history refusals let the person try another password', () => {
  const fixable = (
    ['too_short', 'not_complex', 'in_history', 'too_young', 'locked', 'not_allowed', 'unreachable'] as const
  ).filter(isPasswordRuleRefusal);
  assert.deepEqual(fixable, ['too_short', 'not_complex', 'in_history']);
});

test('RFC 4515 escaping: the five specials and every non-ASCII byte are escaped, the rest kept', () => {
  assert.equal(
    escapeFilterValue('Parens R Us (for all your parenthetical needs)'),
    'Parens R Us \\28for all your parenthetical needs\\29',
  );
  assert.equal(escapeFilterValue('*'), '\\2a');
  assert.equal(escapeFilterValue('C:\\MyFile'), 'C:\\5cMyFile');
  assert.equal(escapeFilterValue('\u0000'), '\\00');
  assert.equal(escapeFilterValue('Lučić'), 'Lu\\c4\\8di\\c4\\87');
  assert.equal(escapeFilterValue('alice@contoso.example'), 'alice@contoso.example');
  assert.equal(
    userFilter('(&(objectClass=user)(|(sAMAccountName={login})(userPrincipalName={login})))', 'a*)(x'),
    '(&(objectClass=user)(|(sAMAccountName=a\\2a\\29\\28x)(userPrincipalName=a\\2a\\29\\28x)))',
  );
});

test('a user-filter template must hold {login} and be one balanced filter', () => {
  assert.equal(checkUserFilterTemplate('(uid={login})'), 'ok');
  assert.equal(checkUserFilterTemplate('(uid=alice)'), 'no_placeholder');
  assert.equal(checkUserFilterTemplate('uid={login}'), 'not_a_filter');
  assert.equal(checkUserFilterTemplate('(&(uid={login})'), 'not_a_filter');
  assert.equal(checkUserFilterTemplate('(uid={login}))('), 'not_a_filter');
});
