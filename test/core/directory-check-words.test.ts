import assert from 'node:assert/strict';
import { test } from 'node:test';
import { asGiven, checkStep, said, stepIn } from '../../src/core/directory-rules.ts';
import { catalogue, LOCALES, translate, translator } from '../../src/core/i18n.ts';

/**
 * The directory check's step texts (issue 12): catalogue messages (`directory.check.*`) with their
 * arguments, so the console shows them in the admin's language, while the English the CLI prints
 * stays word for word; a directory's own diagnostic (a DN, a server message) is kept as given.
 */

test('English from the catalogue is the CLI’s wording, word for word', () => {
  const connect = checkStep('connect', 'pass', {
    title: said('directory.check.connect.title', { url: 'ldaps://dc1.contoso.example' }),
    detail: said('directory.check.connect.secure'),
  });
  assert.equal(connect.title, 'Connect to ldaps://dc1.contoso.example');
  assert.equal(connect.detail, 'encrypted (TLS), certificate verified');
  assert.equal(connect.fix, undefined);
  const rules = (minLength: number | string, complexity: string, history: number | string) =>
    checkStep('password_rules', 'warn', {
      title: said('directory.check.passwordRules.title'),
      detail: said('directory.check.passwordRules.found', { minLength, complexity, history }),
    }).detail;
  assert.equal(rules(8, 'true', 5), 'minimum length 8, complexity true, history 5');
  assert.equal(rules('unknown', 'unknown', 'unknown'), 'minimum length unknown, complexity unknown, history unknown');
  const fix = (missing: string[]) =>
    translate('en', 'directory.check.unlockRight.adFix', {
      both: String(missing.length > 1),
      first: missing[0]!,
      second: missing[1] ?? '',
    });
  assert.equal(
    fix(['lockoutTime', 'pwdLastSet']),
    "Grant the service account write access to lockoutTime and pwdLastSet on the users' OU.",
  );
  assert.equal(fix(['pwdLastSet']), "Grant the service account write access to pwdLastSet on the users' OU.");
  assert.equal(
    translate('en', 'directory.check.testAccount.titleNamed', { login: 'alice' }),
    'Find the test account "alice"',
  );
});

test('in German: every word translated, the URL, DN and the directory’s diagnostic kept as given', () => {
  const step = checkStep('service_bind', 'fail', {
    title: said('directory.check.serviceBind.title', { bindDn: 'cn=sspr,dc=contoso,dc=example' }),
    detail: asGiven('80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error'),
    fix: said('directory.check.serviceBind.fix'),
  });
  const de = stepIn(translator('de'), step);
  assert.equal(de.title, 'Anmelden als cn=sspr,dc=contoso,dc=example');
  assert.equal(de.detail, '80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error');
  assert.match(de.fix!, /^Prüfen Sie den DN des Dienstkontos/);
  // the English the CLI prints is unchanged on the step itself
  assert.equal(
    step.fix,
    'Check the service account DN and its password (and that the account is enabled and not locked).',
  );
  // a step without words (older code) keeps its own text
  assert.deepEqual(stepIn(translator('de'), { id: 'x', title: 'T', status: 'pass', detail: 'D' }), {
    title: 'T',
    detail: 'D',
  });
});

test('every directory.check message renders in all 7 locales, and only English reads like English', () => {
  const ids = Object.keys(catalogue('en')).filter((id) => id.startsWith('directory.check.'));
  assert.ok(ids.length >= 45, `${ids.length} messages`);
  const params = {
    url: 'ldaps://x',
    bindDn: 'cn=a',
    login: 'alice',
    code: '32',
    attributes: 'pwdReset',
    first: 'a1',
    second: 'a2',
    both: 'true',
    minLength: 'unknown',
    complexity: 'false',
    history: 3,
    more: 'false',
    count: 2,
    logins: 'x, y',
  };
  for (const id of ids) {
    const en = translate('en', id as never, params);
    for (const locale of LOCALES) {
      const text = translate(locale, id as never, params);
      assert.ok(text.length > 0 && !/[{}]/.test(text), `${id} in ${locale}: ${text}`);
      if (locale !== 'en') assert.notEqual(text, en, `${id} in ${locale} is still English`);
    }
  }
});
