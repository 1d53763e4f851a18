#!/usr/bin/env node
// `npm test`: the linter, the format check and the type check run side by side with the test
// suite (scripts/test.mjs) instead of before it. They take ~45 s of one core; run first, the two
// cores sat half idle for that long, and during the suite the cores are not always both busy
// either (test processes wait for browsers, servers and databases).
//
// The checks' output is held back and printed after the suite's, so the two never interleave;
// the run ends with one line per check and a `N passed, N failed` line (the suite's own counts,
// read from node's summary), and exits non-zero if a check or a test failed.
import { spawn } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

const CHECKS = [
  ['lint', bin('eslint'), ['.']],
  // oxfmt (Prettier's style, .oxfmtrc.json): ~0.5 s of CPU for the repository against ~23 s for
  // Prettier 3 with its oxc parser plugin
  ['format', bin('oxfmt'), ['--check', '.']],
  // TypeScript 7 (the native compiler, installed as `typescript-native`) checks the types: ~10 s of
  // CPU against ~35 s for TypeScript 5.9, which stays installed because typescript-eslint needs it.
  // Both packages name their binary `tsc`, so which one node_modules/.bin/tsc is depends on npm.
  [
    'typecheck',
    process.execPath,
    [path.join(root, 'node_modules', 'typescript-native', 'bin', 'tsc'), '-p', 'tsconfig.json'],
  ],
];

/** Runs a command with its output kept; resolves to its exit code and output. */
function held(command, args) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks = [];
    child.stdout.on('data', (c) => chunks.push(c));
    child.stderr.on('data', (c) => chunks.push(c));
    child.on('error', (error) => resolve({ code: 1, output: String(error), seconds: 0 }));
    child.on('close', (code, signal) =>
      resolve({
        code: code ?? (signal ? 1 : 0),
        output: Buffer.concat(chunks).toString('utf8'),
        seconds: (Date.now() - started) / 1000,
      }),
    );
  });
}

/** Runs the suite with its output passed through as it comes; counts from node's summary. */
function suite(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'scripts', 'test.mjs'), ...args], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let tail = '';
    const counts = { pass: null, fail: null };
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      const text = tail + chunk.toString('utf8');
      const lines = text.split('\n');
      tail = lines.pop() ?? '';
      for (const line of lines) {
        const m = /^ℹ (pass|fail) (\d+)$/.exec(line.trim());
        if (m) counts[m[1]] = Number(m[2]);
      }
    });
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 1 : 0), counts }));
  });
}

const checks = Promise.all(CHECKS.map(([name, command, args]) => held(command, args).then((r) => ({ name, ...r }))));
const tests = await suite(process.argv.slice(2));
const results = await checks;

let failed = tests.code !== 0;
console.log('');
for (const r of results) {
  if (r.code !== 0) {
    failed = true;
    console.log(`✖ ${r.name} failed (exit ${r.code}):`);
    console.log(r.output.trimEnd());
  }
}
for (const r of results) console.log(`${r.code === 0 ? '✔' : '✖'} ${r.name} (${r.seconds.toFixed(0)} s)`);
const { pass, fail } = tests.counts;
if (pass === null || fail === null) {
  console.log('✖ the test run printed no summary');
  failed = true;
}
console.log(`${pass ?? 0} passed, ${fail ?? 0} failed`);
process.exit(failed ? 1 : 0);
