import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  configurationFindings,
  directoryCheckFindings,
  doctorVerdict,
  tenantFindings,
  trustsEveryone,
  type AdminFacts,
} from '../../src/core/doctor-rules.ts';
import { checkVerdict } from '../../src/core/directory-rules.ts';

const ids = (findings: readonly { id: string }[]) => findings.map((f) => f.id);
const both: AdminFacts = { login: 'a@example.com', hasEmail: true, hasPhone: true };

describe('sspr doctor: the configuration', () => {
  test('a public URL without https is a problem in production, a warning elsewhere unless on loopback', () => {
    const prod = configurationFindings({
      publicUrl: 'http://sspr.example.com',
      production: true,
      trustProxy: undefined,
    });
    assert.deepEqual(
      prod.map((f) => [f.id, f.severity]),
      [['public_url_not_https', 'fail']],
    );
    assert.match(prod[0]?.fix ?? '', /SSPR_PUBLIC_URL/);
    assert.deepEqual(
      configurationFindings({ publicUrl: 'http://sspr.example.com', production: false, trustProxy: undefined }).map(
        (f) => f.severity,
      ),
      ['warn'],
    );
    for (const local of ['http://127.0.0.1:3000', 'http://localhost:3000'])
      assert.deepEqual(
        configurationFindings({ publicUrl: local, production: false, trustProxy: undefined }),
        [],
        local,
      );
    assert.deepEqual(
      configurationFindings({ publicUrl: 'https://sspr.example.com', production: true, trustProxy: '10.0.0.0/8' }),
      [],
    );
  });

  test('trusted proxies that trust everyone are a problem; a list of proxies is not', () => {
    for (const everyone of ['true', '0.0.0.0/0', '10.0.0.1, 0.0.0.0/0', '::/0', '*']) {
      assert.equal(trustsEveryone(everyone), true, everyone);
      assert.deepEqual(
        ids(configurationFindings({ publicUrl: 'https://x.example', production: true, trustProxy: everyone })),
        ['trust_proxy_everyone'],
      );
    }
    for (const fine of [undefined, '', '127.0.0.1', '10.0.0.0/8,loopback', '0.0.0.0/8'])
      assert.equal(trustsEveryone(fine), false, String(fine));
  });
});

describe('sspr doctor: a tenant', () => {
  test('fewer than two enabled administrators is a weak spot', () => {
    assert.deepEqual(ids(tenantFindings({ name: 'Acme', admins: [both], directory: null }, true)), ['few_admins']);
    const none = tenantFindings({ name: 'Acme', admins: [], directory: null }, true);
    assert.match(none[0]?.message ?? '', /no enabled administrator/);
    assert.deepEqual(
      tenantFindings({ name: 'Acme', admins: [both, { ...both, login: 'b@example.com' }], directory: null }, true),
      [],
    );
  });

  test('an administrator whose only registered method is the phone (SMS alone) is named; so is one who cannot reset', () => {
    const f = tenantFindings(
      {
        name: 'Acme',
        admins: [
          both,
          { login: 'sms@example.com', hasEmail: false, hasPhone: true },
          { login: 'mail@example.com', hasEmail: true, hasPhone: false },
        ],
        directory: null,
      },
      true,
    );
    assert.deepEqual(ids(f), ['admin_sms_only', 'admin_cannot_reset']);
    assert.match(f[0]?.message ?? '', /sms@example\.com/);
    assert.match(f[0]?.fix ?? '', /set-method sms@example\.com email/);
    assert.match(f[1]?.message ?? '', /mail@example\.com.*no mobile phone/);
  });

  test('allowInsecure on a directory: a problem in production, a warning in a lab', () => {
    const facts = { name: 'Lab', admins: [both, both], directory: { kind: 'ldap' as const, allowInsecure: true } };
    assert.deepEqual(
      tenantFindings(facts, true).map((f) => [f.id, f.severity]),
      [['directory_insecure', 'fail']],
    );
    assert.deepEqual(
      tenantFindings(facts, false).map((f) => f.severity),
      ['warn'],
    );
    assert.deepEqual(tenantFindings({ ...facts, directory: { kind: 'ad', allowInsecure: false } }, true), []);
  });

  test('a directory check: failed steps are problems, warnings weak spots, skips and passes nothing', () => {
    const report = checkVerdict([
      { id: 'connect', title: 'Connect to ldaps://a', status: 'pass', detail: 'ok' },
      { id: 'connect', title: 'Connect to ldaps://b', status: 'warn', detail: 'refused', fix: 'Start b' },
      { id: 'service_bind', title: 'Bind', status: 'fail', detail: 'invalid credentials' },
      { id: 'test_account', title: 'Find', status: 'skip', detail: 'none' },
    ]);
    const f = directoryCheckFindings('Acme', report);
    assert.deepEqual(
      f.map((x) => [x.id, x.severity, x.subject]),
      [
        ['directory.connect', 'warn', 'Acme'],
        ['directory.service_bind', 'fail', 'Acme'],
      ],
    );
    assert.equal(f[0]?.fix, 'Start b');
    assert.match(f[1]?.fix ?? '', /sspr directory check Acme/);
  });

  test('the verdict: problems when anything failed, warnings when only weak spots, else healthy', () => {
    const warn = { id: 'x', severity: 'warn' as const, subject: 's', message: 'm', fix: 'f' };
    assert.equal(doctorVerdict([]), 'healthy');
    assert.equal(doctorVerdict([warn]), 'warnings');
    assert.equal(doctorVerdict([warn, { ...warn, severity: 'fail' }]), 'problems');
  });
});
