import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { threadExecArgv } from '../../src/adapters/outbox-thread.ts';

// Node 24's test runner starts test processes with per-process flags in execArgv; a Worker given
// them refuses to start (ERR_WORKER_INVALID_EXEC_ARGV). This list is what it had in a CI run.
const NODE24_TEST_CHILD = [
  '--stack-trace-limit=10',
  '--secure-heap-min=2',
  '--v8-pool-size=4',
  '--use-largepages=off',
  '--node-snapshot',
  '--secure-heap=0',
  '--import',
  'tsx',
  '--import',
  '/repo/test/helpers/no-promise-tracking.ts',
  '--import=/repo/scripts/cpu-meter.mjs',
  '--conditions=development',
];

test('outbox thread flags: only module-loading flags pass, TypeScript preloads stay out', () => {
  assert.deepEqual(threadExecArgv(NODE24_TEST_CHILD), [
    '--import',
    'tsx',
    '--import',
    '/repo/scripts/cpu-meter.mjs',
    '--conditions',
    'development',
  ]);
});

test('outbox thread flags: a Worker refuses the per-process flags and starts with what is kept of them', async () => {
  const perProcess = ['--stack-trace-limit=10', '--secure-heap=0', '--node-snapshot'];
  const code = 'require("node:worker_threads").parentPort.postMessage("up")';
  assert.throws(() => new Worker(code, { eval: true, execArgv: perProcess }), { code: 'ERR_WORKER_INVALID_EXEC_ARGV' });
  const worker = new Worker(code, { eval: true, execArgv: threadExecArgv(perProcess) });
  try {
    assert.equal(await new Promise((resolve, reject) => worker.once('message', resolve).once('error', reject)), 'up');
  } finally {
    await worker.terminate();
  }
});
