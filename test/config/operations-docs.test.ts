import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { outboxPolicy } from '../../src/compose.ts';
import { loadConfig } from '../../src/config/load.ts';
import { afterFailure } from '../../src/core/outbox-policy.ts';

const operations = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');

/**
 * How long a message that fails at every try stays pending with the given jitter, under the
 * default configuration: the instant its last retry step ends (failed or expired).
 */
function pendingForMs(expiresAfterMs: number | null, unit: number): number {
  const config = loadConfig({ env: {} });
  const policy = outboxPolicy(config);
  const m = { createdAt: 0, expiresAt: expiresAfterMs };
  let now = 0;
  for (let attempts = 1; attempts < 100_000; attempts++) {
    const step = afterFailure(policy, attempts, { retryable: true, reason: 'ECONNREFUSED' }, now, m, unit);
    if (step.kind !== 'retry') return now;
    now = step.at;
  }
  return Infinity;
}

test("the operations guide's alert on the oldest pending message can fire with the default retry settings", () => {
  const alert = /`sspr_message_oldest_pending_age_seconds > (\d+)` for (\d+) minutes/.exec(operations);
  assert.ok(alert, 'the alert is documented');
  const mustWaitMs = (Number(alert[1]) + Number(alert[2]) * 60) * 1000;
  const codeTtl = loadConfig({ env: {} }).code_ttl_ms;
  for (const unit of [0, 0.5, 0.999]) {
    // a notice and a code both wait long enough for the alert's condition to hold for its duration
    assert.ok(pendingForMs(null, unit) > mustWaitMs, `notice, jitter ${unit}`);
    assert.ok(pendingForMs(codeTtl, unit) > mustWaitMs, `code, jitter ${unit}`);
  }
});

test('the nginx example keeps link tokens out of the access log', () => {
  const nginx = /```nginx\n([\s\S]*?)```/.exec(operations)?.[1];
  assert.ok(nginx, 'an nginx example');
  const format = /log_format (\w+) ([\s\S]*?);/.exec(nginx);
  assert.ok(format, 'the example defines its log format');
  assert.match(format[2]!, /\$uri\b/);
  assert.doesNotMatch(format[2]!, /\$request\b|\$request_uri\b|\$args\b|\$query_string\b|\$http_referer\b/);
  assert.match(nginx, new RegExp(`access_log \\S+ ${format[1]};`), 'and uses it');
});

test('the restore procedure creates the database first and keeps the test restore away from real mail', () => {
  const backups = operations.slice(
    operations.indexOf('## Backups'),
    operations.indexOf('\n## ', operations.indexOf('## Backups') + 1),
  );
  assert.ok(backups.indexOf('createdb') >= 0 && backups.indexOf('createdb') < backups.indexOf('pg_restore -h'));
  const testRun = /```sh\n\s*(createdb[^`]*?sspr_restore_test[\s\S]*?)```/.exec(backups)?.[1];
  assert.ok(testRun, 'a restore test script');
  assert.match(testRun, /env -i /, 'a clean environment: no production mail or SMS settings');
  assert.doesNotMatch(testRun, /SSPR_SMTP_URL|SSPR_SMS_PROVIDER=(twilio|webhook)|NODE_ENV=production/);
});

test('the rotation and upgrade procedures are the ones the rolling tests follow, and limits are said to live in the database', () => {
  const rotation = operations.slice(
    operations.indexOf('## Rotating the master key'),
    operations.indexOf('\n## ', operations.indexOf('## Rotating the master key') + 1),
  );
  // step 1 adds the new key as a previous key everywhere, step 2 swaps (test/scale/rolling-rotation.test.ts)
  const add = rotation.indexOf('`SSPR_SECRET_KEY=<old>` and `SSPR_SECRET_KEY_PREVIOUS=<new>`');
  const swap = rotation.indexOf('`SSPR_SECRET_KEY=<new>` and\n   `SSPR_SECRET_KEY_PREVIOUS=<old>`');
  assert.ok(add > 0 && swap > add, 'first the new key as a previous key, then the swap');
  assert.match(rotation, /ONE instance at a time/);
  assert.match(rotation, /test\/scale\/rolling-rotation\.test\.ts/);

  // the upgrade section quotes the warning an older instance really logs (test/adapters/rolling-upgrade.test.ts)
  const store = readFileSync(new URL('../../src/adapters/sql/sql-store.ts', import.meta.url), 'utf8');
  const warning = 'the database was migrated by a newer release of sspr';
  assert.ok(store.includes(`'${warning}`), 'the store logs it');
  const upgrade = operations.slice(operations.indexOf('## Upgrading with migrations'));
  assert.ok(upgrade.replace(/\s+/g, ' ').includes(warning), 'the guide quotes it');
  assert.match(upgrade, /migrations are additive between adjacent releases/);

  // without Redis, limits are counted in the database (not in process memory)
  const configuration = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  const redisRow = configuration.split('\n').find((l) => l.startsWith('| `SSPR_REDIS_URL`'));
  assert.ok(redisRow, 'SSPR_REDIS_URL is documented');
  assert.match(redisRow, /counted in the database/);
  assert.doesNotMatch(configuration, /process memory/);
});
