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
  assert.equal(c.public_url, 'http://127.0.0.1:3000', 'the default public URL is the address serve listens on');
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
    SSPR_PUBLIC_URL: 'https://reset.example.com',
  });
  assert.equal(ok.sms_provider, 'none');
});

const PRODUCTION = {
  NODE_ENV: 'production',
  SSPR_SMTP_URL: 'smtp://mail:25',
  SSPR_SECRET_KEY: Buffer.alloc(32, 1).toString('base64'),
};

test('production refuses an http public URL (set or default), naming SSPR_PUBLIC_URL and the lab override', () => {
  for (const env of [PRODUCTION, { ...PRODUCTION, SSPR_PUBLIC_URL: 'http://reset.example.com' }]) {
    const problems = problemsOf(() => load(env));
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(problems[0]!, /^SSPR_PUBLIC_URL: must be an https:\/\/ address when NODE_ENV=production/);
    assert.match(problems[0]!, /__Host- cookies/);
    assert.match(problems[0]!, /SSPR_ALLOW_INSECURE_PUBLIC_URL=true/);
  }
  const lab = load({ ...PRODUCTION, SSPR_PUBLIC_URL: 'http://10.0.0.5:3000', SSPR_ALLOW_INSECURE_PUBLIC_URL: 'true' });
  assert.equal(lab.public_url, 'http://10.0.0.5:3000');
  assert.equal(lab.allow_insecure_public_url, true);
  assert.equal(load({ ...PRODUCTION, SSPR_PUBLIC_URL: 'https://reset.example.com' }).allow_insecure_public_url, false);
  // "false" means false (not a truthy string)
  assert.match(
    problemsOf(() => load({ ...PRODUCTION, SSPR_ALLOW_INSECURE_PUBLIC_URL: 'false' })).join('\n'),
    /SSPR_PUBLIC_URL: must be an https/,
  );
  // development keeps its plain-http loopback default
  assert.equal(load({}).allow_insecure_public_url, false);
});

test('SSPR_TRUST_PROXY is validated: a bad entry is refused naming the setting and the value', () => {
  for (const bad of ['notanip', '10.0.0.1,nope', '10.0.0.0/33', '::1/129', '10.0.0.1/8/8', '999.1.1.1']) {
    const problems = problemsOf(() => load({ SSPR_TRUST_PROXY: bad }));
    assert.equal(problems.length, 1, bad);
    assert.match(problems[0]!, /^SSPR_TRUST_PROXY: must be a comma-separated list of IP addresses or CIDR ranges/);
    assert.ok(problems[0]!.includes(JSON.stringify(bad)), `the value is shown: ${problems[0]}`);
  }
  for (const good of [
    '127.0.0.1',
    '10.0.0.0/8, 192.168.1.7',
    '::1',
    'fd00::/8',
    '10.0.0.0/255.0.0.0',
    'loopback,uniquelocal',
  ])
    assert.equal(load({ SSPR_TRUST_PROXY: good }).trust_proxy, good, good);
});

test('an unknown SSPR_ variable or file key is refused with the nearest known name suggested', () => {
  const problems = problemsOf(() =>
    load({
      SSPR_SMTP_ULR: 'smtp://x:25',
      SSPR_PUBLICURL: 'https://x',
      SSPR_TRUSTED_PROXY: '10.0.0.1',
      SSPR_ZZZZZZZ: '1',
    }),
  );
  assert.deepEqual(problems, [
    'SSPR_SMTP_ULR: unknown setting (did you mean SSPR_SMTP_URL?) (every setting: docs/configuration.md)',
    'SSPR_PUBLICURL: unknown setting (did you mean SSPR_PUBLIC_URL?) (every setting: docs/configuration.md)',
    'SSPR_TRUSTED_PROXY: unknown setting (did you mean SSPR_TRUST_PROXY?) (every setting: docs/configuration.md)',
    'SSPR_ZZZZZZZ: unknown setting (every setting: docs/configuration.md)',
  ]);
  assert.match(
    problemsOf(() => load({ SSPR_CONFIG_FILE: 'k.json' }, () => '{"mail_form": "x <x@example.com>"}')).join(),
    /unknown key "mail_form" \(did you mean mail_from\?\)/,
  );
});

test('SSPR_DIRECTORY_… variables are directory secrets named by tenant settings, not settings: not refused, not read', () => {
  const config = load({ SSPR_DIRECTORY_ACME_BIND: 'bind-secret-1' });
  assert.ok(!JSON.stringify(config).includes('bind-secret-1'));
  // a near miss of a real setting is still caught
  assert.match(problemsOf(() => load({ SSPR_DIRECTORYX: '1' })).join(), /SSPR_DIRECTORYX: unknown setting/);
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
