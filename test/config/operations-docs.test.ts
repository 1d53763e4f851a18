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
