import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ConfigError, describeConfig, loadConfig } from '../../src/config/load.ts';
import { renderConfigDocs } from '../../src/config/docs.ts';

const load = (env: Record<string, string>, readFile?: (f: string) => string) =>
  loadConfig({ env, ...(readFile ? { readFile } : {}) });

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected ConfigError, got ${String(e)}`);
    return e.problems;
  }
  assert.fail('expected the configuration to be refused');
}

test('defaults give the embedded development setup', () => {
  const c = load({});
  assert.equal(c.port, 3000);
  assert.equal(c.host, '127.0.0.1');
  assert.equal(c.public_url, 'http://localhost:3000');
  assert.equal(c.database_url, 'sqlite:data/sspr.db');
  assert.equal(c.sms_provider, 'dev');
  assert.equal(c.production, false);
  assert.ok(Object.isFrozen(c));
});

test('environment variables are coerced and win over the config file', () => {
  const file = JSON.stringify({ port: 4000, mail_from: 'file@example.com', log_level: 'debug' });
  const c = load(
    { SSPR_CONFIG_FILE: 'x.json', SSPR_PORT: '5000', SSPR_PUBLIC_URL: 'https://reset.example.com/' },
    () => file,
  );
  assert.equal(c.port, 5000);
  assert.equal(c.mail_from, 'file@example.com');
  assert.equal(c.log_level, 'debug');
  assert.equal(c.public_url, 'https://reset.example.com');
});

test('every problem is reported at once, each with its key name', () => {
  const problems = problemsOf(() =>
    load({
      SSPR_PORT: 'abc',
      SSPR_LOG_LEVEL: 'loud',
      SSPR_SMTP_URL: 'http://x',
      SSPR_SECRET_KEY: 'c2hvcnQ=',
      SSPR_TYPO: '1',
    }),
  );
  const text = problems.join('\n');
  for (const key of ['SSPR_PORT', 'SSPR_LOG_LEVEL', 'SSPR_SMTP_URL', 'SSPR_SECRET_KEY', 'SSPR_TYPO'])
    assert.match(text, new RegExp(key));
  assert.equal(problems.length, 5);
  assert.doesNotMatch(text, /c2hvcnQ=/, 'a secret value is never echoed');
});

test('production requires SMTP and a secret key and refuses the dev SMS outbox', () => {
  const problems = problemsOf(() => load({ NODE_ENV: 'production', SSPR_SMS_PROVIDER: 'dev' }));
  const text = problems.join('\n');
  assert.match(text, /SSPR_SMTP_URL: required when NODE_ENV=production/);
  assert.match(text, /SSPR_SECRET_KEY: required/);
  assert.match(text, /SSPR_SMS_PROVIDER/);
  const ok = load({
    NODE_ENV: 'production',
    SSPR_SMTP_URL: 'smtp://mail:25',
    SSPR_SECRET_KEY: Buffer.alloc(32, 1).toString('base64'),
  });
  assert.equal(ok.sms_provider, 'none');
});

test('twilio and webhook providers require their settings', () => {
  assert.equal(problemsOf(() => load({ SSPR_SMS_PROVIDER: 'twilio' })).length, 3);
  assert.match(problemsOf(() => load({ SSPR_SMS_PROVIDER: 'webhook' })).join(), /SSPR_SMS_WEBHOOK_URL/);
});

test('a config file that is not JSON or has unknown keys is refused with its name', () => {
  assert.match(problemsOf(() => load({ SSPR_CONFIG_FILE: 'bad.json' }, () => '{nope')).join(), /bad\.json.*JSON/);
  assert.match(
    problemsOf(() => load({ SSPR_CONFIG_FILE: 'k.json' }, () => '{"prot": 1}')).join(),
    /unknown key "prot"/,
  );
});

test('config check output masks secrets, including passwords inside URLs', () => {
  const c = load({
    SSPR_SMTP_URL: 'smtps://mailer:s3cretpw@mail.example.com:465',
    SSPR_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
    SSPR_DATABASE_URL: 'postgres://app:dbpass@127.0.0.1:5432/sspr',
  });
  const out = describeConfig(c).join('\n');
  assert.doesNotMatch(out, /s3cretpw|dbpass|BwcH/);
  assert.match(out, /SSPR_SMTP_URL=smtps:\/\/mailer:\*\*\*\*@mail\.example\.com:465/);
  assert.match(out, /SSPR_SECRET_KEY=\*\*\*\*/);
});

test('docs/configuration.md is generated from the schema and up to date (npm run docs:config)', () => {
  const onDisk = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  assert.equal(onDisk, renderConfigDocs(), 'docs/configuration.md is stale: run `npm run docs:config`');
});
