import { test } from 'node:test';
import assert from 'node:assert/strict';
import asyncHooks from 'node:async_hooks';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// test/helpers/no-promise-tracking.ts (preloaded into every test process by scripts/test.mjs) gives
// node:test's harness an inert async hook. These show what it must keep: an error thrown by a test's
// asynchronous work still fails the test file, and other async hooks still work.

const PRELOAD = fileURLToPath(new URL('../helpers/no-promise-tracking.ts', import.meta.url));

test('the test runner preloads it into this process', () => {
  assert.equal(asyncHooks.createHook.name, 'createHookUnlessTestHarness');
});

test('with the preload, an uncaught error from a test’s asynchronous work still fails its test file, and suites keep their tests', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sspr-promise-tracking-'));
  try {
    const file = path.join(dir, 'late-throw.test.mjs');
    writeFileSync(
      file,
      [
        "import { describe, it, test } from 'node:test';",
        "describe('a suite', () => {",
        "  it('first in the suite', () => {});",
        "  it('second in the suite', async () => { await new Promise((resolve) => setTimeout(resolve, 5)); });",
        '});',
        "test('throws later', async () => {",
        "  setTimeout(() => { throw new Error('thrown by a timer'); }, 5);",
        '  await new Promise((resolve) => setTimeout(resolve, 50));',
        '});',
        "test('rejects unhandled', async () => {",
        "  void Promise.reject(new Error('nobody handled this'));",
        '  await new Promise((resolve) => setTimeout(resolve, 50));',
        '});',
        "test('after the others', () => {});",
      ].join('\n'),
    );
    // TAP on every Node (Node 24's default reporter in a pipe is spec)
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--import', PRELOAD, '--test', '--test-reporter=tap', file],
      {
        encoding: 'utf8',
        env: { ...process.env, NODE_TEST_CONTEXT: undefined },
      },
    );
    const out = run.stdout + run.stderr;
    assert.notEqual(run.status, 0, `the run must fail:\n${out}`);
    assert.match(out, /thrown by a timer/);
    assert.match(out, /nobody handled this/);
    // the suite kept its tests, and every test ran
    for (const name of ['a suite', 'first in the suite', 'second in the suite', 'throws later', 'after the others'])
      assert.match(out, new RegExp(`^\\s*ok \\d+ - ${name}$`, 'm'), `${name} ran:\n${out}`);
    // inside the suite, not beside it
    assert.match(out, /# Subtest: a suite\n\s+# Subtest: first in the suite/, out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('with the preload, an async hook of anyone but the test harness still sees promises', async () => {
  let inits = 0;
  const hook = asyncHooks
    .createHook({
      init(_id, type) {
        if (type === 'PROMISE') inits += 1;
      },
    })
    .enable();
  await Promise.resolve();
  await new Promise((resolve) => setImmediate(resolve));
  hook.disable();
  assert.ok(inits > 0, 'the hook saw the promises created while it was enabled');
});
