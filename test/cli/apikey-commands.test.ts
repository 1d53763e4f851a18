import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createApp } from '../../src/compose.ts';
import { loadConfig } from '../../src/config/load.ts';
import { API_KEY_PATTERN } from '../../src/service/api-key-service.ts';
import type { ComposedApp as App } from '../../src/compose.ts';
import { assertExit, assertRefused, dbFingerprint, sspr, tempDataDir, type Run } from './run-sspr.ts';

/** `sspr apikey create|list|revoke`, run through the CLI entry (`runCli`) with the arguments and stdin an operator gives. */

const data = tempDataDir();
const run = (args: string[]): Promise<Run> => sspr(data.dir, args);

/** The same data dir opened in this process (same database, same secret.key), to use the printed keys. */
async function withApp<T>(fn: (app: App) => Promise<T>): Promise<T> {
  const app = await createApp(loadConfig({ env: { SSPR_DATA_DIR: data.dir, SSPR_LOG_LEVEL: 'silent' } }));
  try {
    return await fn(app);
  } finally {
    await app.close();
  }
}

function rows(sqlText: string, ...params: unknown[]): Record<string, unknown>[] {
  const db = new Database(path.join(data.dir, 'sspr.db'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sqlText).all(...params) as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

interface KeyJson {
  id: string;
  tenant: string;
  name: string;
  scopes: string[];
  status: string;
  createdBy: string;
  expiresAt: string | null;
}

before(async () => {
  assertExit(await run(['demo']), 0, 'demo');
  assertExit(await run(['tenant', 'create', 'Fabrikam', '--domain', 'fabrikam.example']), 0, 'tenant create');
});
after(() => data.cleanup());

let keyId = '';
let token = '';

test('apikey create prints the key once; only its HMAC is stored; the key authenticates', async () => {
  const r = await run([
    'apikey',
    'create',
    '--tenant',
    'Contoso Demo',
    '--name',
    'HR sync',
    '--scope',
    'users:read',
    '--scope',
    'resets:write',
  ]);
  assertExit(r, 0, 'apikey create');
  assert.match(
    r.stdout,
    /Created API key [0-9a-f]{24} "HR sync" for tenant "Contoso Demo" with scopes users:read, resets:write \(never expires\)\./,
  );
  assert.match(r.stdout, /shown only this once/);
  const lines = r.stdout.trimEnd().split('\n');
  token = lines[lines.length - 1]!;
  const m = API_KEY_PATTERN.exec(token);
  assert.ok(m, `the last line is the key: ${token}`);
  keyId = m[1]!;
  const secret = m[2]!;
  assert.equal(r.stderr, '');

  // the database: the HMAC, never the key or its secret (in any table)
  const [row] = rows('select * from api_keys where id = ?', keyId);
  assert.ok(row);
  assert.match(String(row.secret_hash), /^[0-9a-f]{64}$/);
  assert.equal(row.created_by, 'cli');
  assert.equal(row.scopes, 'users:read resets:write');
  assert.ok(!dbFingerprint(data.dir).includes(secret), 'the secret is stored nowhere');
  const [event] = rows("select * from audit_events where type = 'api_key.created'");
  assert.equal(event?.actor, 'cli');
  assert.equal(JSON.parse(String(event?.details)).keyId, keyId);

  const actor = await withApp((app) => app.apiKeys.authenticate(`Bearer ${token}`));
  assert.equal(actor?.keyId, keyId);
  assert.deepEqual(actor?.scopes, ['users:read', 'resets:write']);
});

test('apikey list shows keys of one tenant, never the key; --json; --expires-in-days', async () => {
  const expiring = await run([
    'apikey',
    'create',
    '--tenant',
    'Contoso Demo',
    '--name',
    'Audit export',
    '--scope',
    'audit:read',
    '--scope',
    'look:write',
    '--expires-in-days',
    '30',
    '--json',
  ]);
  assertExit(expiring, 0, 'apikey create --json');
  const created = JSON.parse(expiring.stdout) as { key: KeyJson; token: string };
  assert.match(created.token, API_KEY_PATTERN);
  const expiresIn = Date.parse(created.key.expiresAt!) - Date.now();
  assert.ok(Math.abs(expiresIn - 30 * 86_400_000) < 120_000, `expires in 30 days (${expiresIn} ms)`);

  const [table, json, fabrikam, empty] = await Promise.all([
    run(['apikey', 'list', '--tenant', 'Contoso Demo']),
    run(['apikey', 'list', '--tenant', 'Contoso Demo', '--json']),
    run(['apikey', 'list', '--tenant', 'Fabrikam', '--json']),
    run(['apikey', 'list', '--tenant', 'Fabrikam']),
  ]);
  assertExit(table, 0, 'apikey list');
  assert.match(table.stdout, /^ID\s+NAME\s+SCOPES\s+STATUS\s+CREATED\s+LAST USED\s+EXPIRES/);
  assert.match(table.stdout, new RegExp(`${keyId}\\s+HR sync\\s+users:read,resets:write\\s+active`));
  assert.match(table.stdout, new RegExp(`${created.key.id}\\s+Audit export\\s+audit:read,look:write\\s+active`));
  for (const t of [token, created.token]) {
    const secret = API_KEY_PATTERN.exec(t)![2]!;
    assert.ok(!table.stdout.includes(secret), 'no secret in the list');
  }

  assertExit(json, 0, 'apikey list --json');
  const keys = JSON.parse(json.stdout) as KeyJson[];
  assert.deepEqual(keys.map((k) => k.name).sort(), ['Audit export', 'HR sync']);
  assert.ok(keys.every((k) => k.tenant === 'Contoso Demo' && !('secretHash' in k) && !('token' in k)));

  assertExit(fabrikam, 0, 'apikey list Fabrikam');
  assert.deepEqual(JSON.parse(fabrikam.stdout), []);
  assert.match(empty.stdout, /No API keys for "Fabrikam"/);
});

test('apikey create and revoke refuse bad input with one line and change nothing', async () => {
  const before = dbFingerprint(data.dir);
  const cases: [string[], string][] = [
    [['apikey', 'create', '--tenant', 'Nowhere', '--name', 'x', '--scope', 'users:read'], 'tenant_not_found'],
    [['apikey', 'create', '--tenant', 'Fabrikam', '--name', 'x', '--scope', 'users:delete'], 'scope_unknown'],
    [['apikey', 'create', '--tenant', 'Fabrikam', '--name', 'x'], 'scopes_missing'],
    [['apikey', 'create', '--tenant', 'Fabrikam', '--name', ' ', '--scope', 'users:read'], 'name_invalid'],
    [
      ['apikey', 'create', '--tenant', 'Fabrikam', '--name', 'x', '--scope', 'users:read', '--expires-in-days', '0'],
      'expiry_invalid',
    ],
    [
      ['apikey', 'create', '--tenant', 'Fabrikam', '--name', 'x', '--scope', 'users:read', '--expires-in-days', 'soon'],
      'expiry_invalid',
    ],
    [['apikey', 'revoke', 'not-a-key-id'], 'key_not_found'],
    [['apikey', 'revoke', '0'.repeat(24)], 'key_not_found'],
  ];
  const results = await Promise.all(cases.map(([args]) => run(args)));
  cases.forEach(([args, code], i) => assertRefused(results[i]!, code, args.join(' ')));
  assert.equal(dbFingerprint(data.dir), before, 'refused commands wrote nothing');
});

test('apikey revoke: the key stops working, for good', async () => {
  const r = await run(['apikey', 'revoke', keyId]);
  assertExit(r, 0, 'apikey revoke');
  assert.match(r.stdout, new RegExp(`Revoked API key ${keyId} "HR sync"\\.`));
  assert.equal(await withApp((app) => app.apiKeys.authenticate(`Bearer ${token}`)), null);
  assertRefused(await run(['apikey', 'revoke', keyId]), 'already_revoked', 'revoke twice');
  const list = JSON.parse((await run(['apikey', 'list', '--tenant', 'Contoso Demo', '--json'])).stdout) as KeyJson[];
  assert.equal(list.find((k) => k.id === keyId)?.status, 'revoked');
  const [event] = rows("select * from audit_events where type = 'api_key.revoked'");
  assert.equal(event?.actor, 'cli');
});
