import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { superviseWorkers } from '../../src/adapters/worker-cluster.ts';
import type { Logger } from '../../src/ports/logger.ts';
import { freePort } from '../helpers/free-port.ts';

/**
 * The primary of `serve --workers` with a tiny worker script instead of sspr (no bundle, no
 * database): a worker that keeps ending after it started is restarted with backoff until the
 * crash-loop rule gives up, says so in one line, and exits 1.
 */

interface Entry {
  readonly level: string;
  readonly msg: string;
  readonly fields: Record<string, unknown>;
}

function capture(): { log: Logger; entries: Entry[] } {
  const entries: Entry[] = [];
  const make = (bindings: Record<string, unknown>): Logger => {
    const at =
      (level: string) =>
      (a: object | string, b?: string): void => {
        if (typeof a === 'string') entries.push({ level, msg: a, fields: { ...bindings } });
        else entries.push({ level, msg: b ?? '', fields: { ...bindings, ...a } });
      };
    return {
      fatal: at('fatal'),
      error: at('error'),
      warn: at('warn'),
      info: at('info'),
      debug: at('debug'),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return { log: make({}), entries };
}

// listens on the port it is given; in slot 2 it then ends with code 3 after 300 ms (a worker that
// crashes once started); the primary's stop message ends it with 0
const CRASHING_WORKER = `
import http from 'node:http';
const server = http.createServer((_, res) => res.end('ok'));
server.listen(Number(process.argv[2]), '127.0.0.1', () => {
  if (process.argv[3] === '2') setTimeout(() => process.exit(3), 300);
});
process.on('message', (m) => { if (m && m.sspr === 'stop') process.exit(0); });
`;

test('a worker that keeps crashing is restarted with backoff, then the primary gives up with exit 1', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sspr-supervisor-'));
  const script = path.join(dir, 'worker.mjs');
  writeFileSync(script, CRASHING_WORKER);
  const { log, entries } = capture();
  const port = await freePort();
  try {
    const exited = new Promise<number>((resolve, reject) => {
      superviseWorkers({
        count: 2,
        exec: script,
        args: (slot) => [String(port), String(slot)],
        log,
        shutdownTimeoutMs: 1_000,
        restart: { baseMs: 50, maxMs: 400, crashLoop: { count: 3, windowMs: 60_000 } },
        exit: resolve,
      }).catch(reject);
    });
    const code = await Promise.race([
      exited,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no give-up')), 60_000).unref()),
    ]);
    assert.equal(code, 1);
    const restarts = entries.filter((e) => /^worker 2 ended unexpectedly; starting it again in \d+ ms$/.test(e.msg));
    // the backoff doubles: 50, then 100 ms; the third end is the crash loop
    assert.deepEqual(
      restarts.map((e) => e.fields.restartInMs),
      [50, 100],
      JSON.stringify(entries, null, 1),
    );
    assert.equal(
      entries.filter((e) => e.fields.worker === 1 && /ended/.test(e.msg)).length,
      0,
      'worker 1 kept running',
    );
    const fatal = entries.filter((e) => e.level === 'fatal');
    assert.equal(fatal.length, 1);
    assert.match(fatal[0]!.msg, /^worker 2 ended 3 times within 60 s: a crash loop; giving up/);
    assert.equal(fatal[0]!.fields.exitCode, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
