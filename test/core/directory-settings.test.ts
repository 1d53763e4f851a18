import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DIRECTORY_DEFAULTS,
  DIRECTORY_LIMITS,
  directorySettingsInput,
  parseDirectorySettings,
  settingsProblemLine,
  settingsProblemWords,
  type DirectorySettings,
} from '../../src/core/directory-settings.ts';
import {
  canChangeDirectorySettings,
  canReadDirectorySettings,
  changedSettingNames,
  secretRefAllowedFor,
  tenantSecretPlaces,
} from '../../src/core/directory-admin-rules.ts';
import type { Account } from '../../src/core/directory-model.ts';

const minimal = {
  kind: 'ldap',
  urls: ['ldaps://ldap.example.com'],
  bindDn: 'cn=sspr,ou=services,dc=example,dc=com',
  bindPassword: 'env:LDAP_BIND_PASSWORD',
  baseDn: 'ou=people,dc=example,dc=com',
};

function parsed(input: Record<string, unknown>): DirectorySettings {
  const r = parseDirectorySettings(input);
  assert.ok(r.ok, !r.ok ? r.detail : '');
  return r.value;
}

function problems(input: unknown): string[] {
  const r = parseDirectorySettings(input);
  assert.equal(r.ok, false, 'refused');
  assert.equal(!r.ok && r.error, 'invalid_directory_settings');
  return (!r.ok && r.detail ? r.detail : '').split('\n');
}

describe('parseDirectorySettings', () => {
  test('fills the defaults of each kind', () => {
    const ldap = parsed(minimal);
    assert.equal(ldap.userFilter, DIRECTORY_DEFAULTS.ldap.userFilter);
    assert.deepEqual(ldap.attributes, { login: 'uid', displayName: 'cn', email: 'mail', mobile: 'mobile' });
    assert.deepEqual(
      [ldap.timeoutMs, ldap.poolSize, ldap.syncIntervalMinutes],
      [
        DIRECTORY_LIMITS.timeoutMs.default,
        DIRECTORY_LIMITS.poolSize.default,
        DIRECTORY_LIMITS.syncIntervalMinutes.default,
      ],
    );
    assert.deepEqual(
      [ldap.startTls, ldap.allowInsecure, ldap.trustContactAttributes, ldap.caFile, ldap.testLogin, ldap.adminGroups],
      [false, false, false, null, null, []],
    );
    const ad = parsed({ ...minimal, kind: 'ad' });
    assert.equal(ad.userFilter, '(&(objectCategory=person)(objectClass=user)(sAMAccountName={login}))');
    assert.deepEqual(ad.attributes, {
      login: 'sAMAccountName',
      displayName: 'displayName',
      email: 'mail',
      mobile: 'mobile',
    });
  });

  test('names every problem at once, one per line, each naming its setting', () => {
    const lines = problems({
      kind: 'ldap',
      urls: ['http://ldap.example.com'],
      bindPassword: 'hunter2',
      userFilter: '(uid=alice)',
      timeoutMs: 5,
      poolSize: 'many',
      caFile: 'relative/ca.pem',
      loginAttribute: 'not an attribute',
      disabledAttribute: 'disabled',
    });
    const named = lines.map((l) => l.split(':')[0]);
    for (const setting of [
      'urls',
      'bindDn',
      'bindPassword',
      'baseDn',
      'userFilter',
      'timeoutMs',
      'poolSize',
      'caFile',
      'loginAttribute',
      'disabledAttribute',
    ])
      assert.ok(named.includes(setting), `${setting} named in:\n${lines.join('\n')}`);
    assert.ok(
      lines.every((l) => !l.includes('hunter2')),
      'the refused value of bindPassword is never repeated',
    );
  });

  test('a kind is required: builtin has no settings', () => {
    assert.match(problems({ ...minimal, kind: 'builtin' })[0] ?? '', /^kind: ldap or ad/);
    assert.match(problems({ ...minimal, kind: undefined })[0] ?? '', /^kind:/);
    assert.match(problems(null)[0] ?? '', /^kind:/);
  });

  test('ldap:// is refused without StartTLS unless allowInsecure (a lab override)', () => {
    const plain = { ...minimal, urls: ['ldap://ldap.example.com:389'] };
    assert.ok(problems(plain).some((l) => /^urls: ldap:\/\/ sends passwords in clear text/.test(l)));
    assert.equal(parsed({ ...plain, startTls: true }).startTls, true);
    const lab = parsed({ ...plain, allowInsecure: 'true' });
    assert.equal(lab.allowInsecure, true);
    // one plain URL among TLS ones is refused too
    assert.ok(
      problems({ ...minimal, urls: ['ldaps://a.example.com', 'ldap://b.example.com'] }).some((l) =>
        l.startsWith('urls: ldap://'),
      ),
    );
  });

  test('sspr’s own SSPR_ variables cannot be named as a directory secret; SSPR_DIRECTORY_… can', () => {
    for (const bad of ['env:SSPR_SECRET_KEY', 'env:SSPR_DATABASE_URL', 'env:SSPR_LDAP_PASSWORD']) {
      assert.ok(
        problems({ ...minimal, bindPassword: bad }).some((l) => l.startsWith('bindPassword: SSPR_ variables')),
        bad,
      );
    }
    assert.equal(
      parsed({ ...minimal, bindPassword: 'env:SSPR_DIRECTORY_ACME_BIND' }).bindPassword,
      'env:SSPR_DIRECTORY_ACME_BIND',
    );
  });

  test('the bind password is only ever a reference: env:NAME or file:/absolute/path', () => {
    for (const ok of ['env:LDAP_BIND_PASSWORD', 'env:_X1', 'file:/run/secrets/ldap']) {
      assert.equal(parsed({ ...minimal, bindPassword: ok }).bindPassword, ok);
    }
    for (const bad of ['s3cret-Pa55', 'env:', 'env:1ABC', 'env:A-B', 'file:relative/path', 'file:', '']) {
      assert.ok(
        problems({ ...minimal, bindPassword: bad }).some((l) => l.startsWith('bindPassword: env:VARIABLE or file:/')),
        bad,
      );
    }
  });

  test('the user filter must hold {login} and be one balanced filter', () => {
    assert.ok(problems({ ...minimal, userFilter: '(uid=alice)' }).some((l) => /must contain \{login\}/.test(l)));
    for (const bad of ['uid={login}', '(&(uid={login})', '(uid={login}))(']) {
      assert.ok(
        problems({ ...minimal, userFilter: bad }).some((l) => /not an LDAP filter/.test(l)),
        bad,
      );
    }
    assert.equal(
      parsed({ ...minimal, userFilter: '(&(objectClass=person)(|(uid={login})(mail={login})))' }).userFilter,
      '(&(objectClass=person)(|(uid={login})(mail={login})))',
    );
  });

  test('numbers are bounded whole numbers; AD group DNs (with commas) are one per line', () => {
    assert.ok(problems({ ...minimal, syncIntervalMinutes: -1 }).some((l) => l.startsWith('syncIntervalMinutes:')));
    assert.ok(
      problems({ ...minimal, poolSize: 17 }).some((l) => l.startsWith('poolSize: a whole number from 1 to 16')),
    );
    assert.equal(parsed({ ...minimal, timeoutMs: '2500' }).timeoutMs, 2500);
    const s = parsed({
      ...minimal,
      kind: 'ad',
      adminGroups: 'CN=Helpdesk,OU=Groups,DC=example,DC=com\nCN=IT Admins,OU=Groups,DC=example,DC=com\n',
    });
    assert.deepEqual(s.adminGroups, [
      'CN=Helpdesk,OU=Groups,DC=example,DC=com',
      'CN=IT Admins,OU=Groups,DC=example,DC=com',
    ]);
  });

  test('round trip: directorySettingsInput gives back the same settings, every option set or not', () => {
    const full = parsed({
      kind: 'ad',
      urls: ['ldaps://dc1.example.com', 'ldap://dc2.example.com:389'],
      startTls: true,
      caFile: '/etc/sspr/ca.pem',
      tlsServerName: 'dc.example.com',
      bindDn: 'CN=sspr,OU=Services,DC=example,DC=com',
      bindPassword: 'file:/run/secrets/sspr-ad',
      baseDn: 'OU=People,DC=example,DC=com',
      userFilter: '(&(objectClass=user)(userPrincipalName={login}))',
      loginAttribute: 'userPrincipalName',
      displayNameAttribute: 'cn',
      emailAttribute: 'otherMailbox',
      mobileAttribute: '-',
      adminGroups: ['CN=Helpdesk,OU=Groups,DC=example,DC=com'],
      passwordPolicyDn: 'cn=default,ou=policies,dc=example,dc=com',
      disabledAttribute: 'employeeType=disabled',
      trustContactAttributes: true,
      timeoutMs: 1500,
      poolSize: 2,
      syncIntervalMinutes: 0,
      testLogin: 'probe@example.com',
      allowInsecure: false,
    });
    assert.equal(full.attributes.mobile, null, '"-": no attribute');
    assert.deepEqual(parsed(directorySettingsInput(full)), full);
    // JSON (the stored form, the API) too
    assert.deepEqual(parsed(JSON.parse(JSON.stringify(directorySettingsInput(full))) as Record<string, unknown>), full);
    const small = parsed(minimal);
    assert.deepEqual(parsed(directorySettingsInput(small)), small);
  });
});

describe('who may see and change a tenant’s directory settings', () => {
  const tenantId = '0b7e8a7c-1111-4222-8333-444455556666';
  const account = (role: Account['role'], tenant = tenantId) =>
    ({ id: 'a1', tenantId: tenant, role, login: 'x@example.com', displayName: 'X' }) as Account;

  test('the command line always; global admins change, admins only read and check; keys by scope', () => {
    const cli = { kind: 'cli', name: 'cli' } as const;
    assert.equal(canChangeDirectorySettings(cli, tenantId), null);
    assert.equal(canChangeDirectorySettings({ kind: 'admin', account: account('global_admin') }, tenantId), null);
    assert.equal(
      canChangeDirectorySettings({ kind: 'admin', account: account('admin') }, tenantId),
      'needs_global_admin',
    );
    assert.equal(canReadDirectorySettings({ kind: 'admin', account: account('admin') }, tenantId), null);
    assert.equal(canReadDirectorySettings({ kind: 'admin', account: account('user') }, tenantId), 'not_allowed');
    assert.equal(
      canChangeDirectorySettings({ kind: 'admin', account: account('global_admin', 'other') }, tenantId),
      'other_tenant',
    );
    const key = (scopes: ('directory:read' | 'directory:write')[], t = tenantId) =>
      ({ kind: 'api_key', keyId: 'k', tenantId: t, scopes }) as const;
    assert.equal(canReadDirectorySettings(key(['directory:read']), tenantId), null);
    assert.equal(canChangeDirectorySettings(key(['directory:read']), tenantId), 'scope_missing');
    assert.equal(canChangeDirectorySettings(key(['directory:write']), tenantId), null);
    assert.equal(canReadDirectorySettings(key(['directory:read'], 'other'), tenantId), 'other_tenant');
    const operator = { kind: 'operator', operatorId: 'o', login: 'o@support' } as const;
    assert.equal(canReadDirectorySettings(operator, tenantId), 'not_allowed');
  });

  test('a tenant’s administrators may name only the tenant’s own secret places', () => {
    const places = tenantSecretPlaces(tenantId);
    assert.equal(places.envPrefix, 'SSPR_DIRECTORY_0B7E8A7C111142228333444455556666');
    assert.equal(secretRefAllowedFor(`env:${places.envPrefix}`, tenantId), true);
    assert.equal(secretRefAllowedFor(`env:${places.envPrefix}_BIND`, tenantId), true);
    assert.equal(secretRefAllowedFor(`file:/run/secrets/sspr/${tenantId}/bind-password`, tenantId), true);
    for (const bad of [
      'env:SSPR_SECRET_KEY',
      'env:SSPR_DATABASE_URL',
      `env:${places.envPrefix}X`,
      `env:${tenantSecretPlaces('9b7e8a7c-1111-4222-8333-444455556666').envPrefix}`,
      'file:/work/data/secret.key',
      `file:/run/secrets/${tenantId}/../other/bind`,
      `file:/run/secrets/${tenantId}/`,
      `file:/run/secrets/${tenantId}`,
    ])
      assert.equal(secretRefAllowedFor(bad, tenantId), false, bad);
  });

  test('changedSettingNames names the settings that differ, never their values', () => {
    const a = parsed(minimal);
    const b = parsed({
      ...minimal,
      urls: ['ldaps://other.example.com'],
      bindPassword: 'env:OTHER',
      testLogin: 'alice',
    });
    assert.deepEqual(changedSettingNames(a, b), ['urls', 'bindPassword', 'testLogin']);
    assert.deepEqual(changedSettingNames(a, a), []);
    assert.ok(changedSettingNames(null, a).includes('kind'));
  });
});

describe('settings problems: structured, in every language, English as before', () => {
  test('each problem names its setting and a catalogue message; detail is their English lines', () => {
    const r = parseDirectorySettings({
      kind: 'ldap',
      urls: ['ldap://ldap.example.com', 'http://x'],
      bindPassword: 'env:SSPR_SECRET_KEY',
      userFilter: 'uid={login}',
      timeoutMs: 1,
      startTls: 'maybe',
    });
    assert.equal(r.ok, false);
    assert.ok(!r.ok);
    assert.deepEqual(
      r.problems.map((p) => [p.field, p.id]),
      [
        ['urls', 'urlFormat'],
        ['startTls', 'boolean'],
        ['urls', 'urlsPlain'],
        ['bindDn', 'bindDn'],
        ['bindPassword', 'bindPasswordSspr'],
        ['baseDn', 'baseDn'],
        ['userFilter', 'userFilterSyntax'],
        ['timeoutMs', 'wholeNumber'],
      ],
    );
    assert.equal(r.detail, r.problems.map((p) => settingsProblemLine(p)).join('\n'));
    // the English words, word for word as the CLI printed them before
    assert.deepEqual(r.detail?.split('\n'), [
      'urls: "http://x" is not ldaps://host[:port] or ldap://host[:port]',
      'startTls: true or false',
      'urls: ldap:// sends passwords in clear text; use ldaps://, or set startTls (allowInsecure is for a lab only)',
      'bindDn: the service account’s DN',
      'bindPassword: SSPR_ variables are sspr’s own settings; name it SSPR_DIRECTORY_… or without the SSPR_ prefix, e.g. env:LDAP_BIND_PASSWORD',
      'baseDn: where the accounts are, e.g. ou=people,dc=example,dc=com',
      'userFilter: not an LDAP filter (balanced parentheses, e.g. (uid={login}))',
      'timeoutMs: a whole number from 500 to 60000',
    ]);
    assert.deepEqual(problems({ ...minimal, userFilter: '(uid=x)' }), [
      'userFilter: must contain {login}, where the typed login goes',
    ]);
    assert.deepEqual(problems({ ...minimal, syncIntervalMinutes: -1 }), [
      'syncIntervalMinutes: a whole number from 0 to 10080',
    ]);
  });

  test('in German, Japanese and Arabic: the setting’s name as sent, the words translated, arguments kept', () => {
    const r = parseDirectorySettings({ ...minimal, userFilter: '(uid=x)', poolSize: 0, caFile: 'ca.pem' });
    assert.ok(!r.ok);
    assert.deepEqual(
      r.problems.map((p) => settingsProblemLine(p, 'de')),
      [
        'userFilter: muss {login} enthalten, wo die eingegebene Anmeldung eingesetzt wird',
        'poolSize: eine ganze Zahl von 1 bis 16',
        'caFile: ein absoluter Pfad zu einer PEM-Datei',
      ],
    );
    for (const locale of ['ja', 'ar'] as const)
      for (const p of r.problems) {
        const line = settingsProblemLine(p, locale);
        assert.ok(line.startsWith(`${p.field}: `), line);
        assert.notEqual(line, settingsProblemLine(p), `${locale}: ${line} is still English`);
        assert.equal(line.slice(p.field.length + 2), settingsProblemWords(p, locale));
      }
    assert.match(settingsProblemLine(r.problems[0]!, 'ja'), /\{login\}/);
  });
});
