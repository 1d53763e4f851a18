#!/usr/bin/env node
// Runs every test file under test/ with node:test through tsx. Node 20 has no --test globs, so
// the files are listed here; a bare `node --test` would find no .ts file and report 0 tests.
//
//   node scripts/test.mjs [substring of a test path …]
//
// Most of a test process's CPU goes to starting it: tsx, then the app's module graph (fastify,
// kysely, zod, ioredis… ~1.5-2 s of CPU), before the first test runs. So the light files run
// several to a process: they are dealt into groups, and each group is one generated entry file
// that imports its test files one after the other; node's runner then treats a group like one
// test file (a process of its own, `--test-concurrency` at a time). Node 22.8's
// `--experimental-test-isolation=none` would do this, but Node 20 lacks it.
//
// In a group, the files share one process: their tests run one after the other in import order,
// a top-level after() of a file runs when the whole group ends, and module state (a migrated
// template database, a parsed dictionary) is shared. Files that need a process of their own stay
// alone (ISOLATED below): browsers, real directories, real `sspr serve` processes, timing
// measurements, long CPU-bound runs. A file that fails to load fails as a test named after it,
// and every failing test is reported with its own file and line.
//
// Environment: SSPR_TEST_CONCURRENCY (processes at once, default 2), SSPR_TEST_GROUPS (how many
// groups the light files are dealt into, default 6; 0 runs every file in its own process).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname, '..');
const only = process.argv.slice(2);

/** Files that run in a process of their own, each with why. */
const ISOLATED = [
  [/^test\/e2e\//, 'one Chromium per process'],
  [/-browser\.test\.ts$/, 'one Chromium per process'],
  [/^test\/directories\//, 'real slapd and Samba DC (a machine-wide lock serialises the DC)'],
  [/^test\/scale\/two-instances\.test\.ts$/, 'real `sspr serve` processes under load, kill -9'],
  [/^test\/model\//, 'long CPU-bound model run'],
  [/^test\/cli\/(cli-serve|build)\.test\.ts$/, 'builds and spawns the bundle'],
  [/^test\/attack\/enumeration\.test\.ts$/, 'measures response times: nothing else may run in its process'],
];
/** Files that share a process only with each other (a group of their own), each with why. */
const APART = [[/^test\/scale\//, 'scale', 'private redis-servers, a PostgreSQL proxy that goes down, real Redis']];

/**
 * Rough CPU seconds of the heaviest files (measured one file per process, Node 20, 2 cores): the
 * runner starts the longest first so that no long file starts last. Only the order depends on it.
 * Other files weigh by their size (~1 s per 4 KB).
 */
const KNOWN_SECONDS = {
  'test/e2e/reset-journeys.test.ts': 120,
  'test/model/reset-model.test.ts': 65,
  'test/scale/two-instances.test.ts': 60,
  'test/e2e/admin-console.test.ts': 50,
  'test/e2e/help-and-support.test.ts': 40,
  'test/e2e/security-info.test.ts': 40,
  'test/e2e/admin-insights.test.ts': 30,
  'test/http/reset-pages-browser.test.ts': 20,
  'test/attack/enumeration.test.ts': 20,
  'test/e2e/api-keys-console.test.ts': 17,
};

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return walk(full);
    return /\.test\.tsx?$/.test(name) ? [path.relative(root, full).split(path.sep).join('/')] : [];
  });
}

function weightOf(file) {
  return KNOWN_SECONDS[file] ?? statSync(path.join(root, file)).size / 4096;
}

let files = walk(path.join(root, 'test')).sort();
if (only.length > 0) files = files.filter((f) => only.some((o) => f.includes(o)));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

const isolated = files.filter((f) => ISOLATED.some(([re]) => re.test(f)));
const apart = APART.map(([re, name]) => ({ name, files: files.filter((f) => !isolated.includes(f) && re.test(f)) }));
const light = files.filter((f) => !isolated.includes(f) && !apart.some((a) => a.files.includes(f)));
const wantedGroups = Number(process.env.SSPR_TEST_GROUPS ?? '6');
const grouping = Number.isInteger(wantedGroups) && wantedGroups > 0;

/** Deals `list` into `n` groups of about equal weight (heaviest first, each to the lightest group). */
function deal(list, n) {
  const groups = Array.from({ length: n }, () => ({ files: [], weight: 0 }));
  for (const file of [...list].sort((a, b) => weightOf(b) - weightOf(a))) {
    const lightest = groups.reduce((min, g) => (g.weight < min.weight ? g : min));
    lightest.files.push(file);
    lightest.weight += weightOf(file);
  }
  for (const g of groups) g.files.sort();
  return groups.filter((g) => g.files.length > 0);
}

/** Every job: a test file or a generated group entry, with its weight. */
const jobs = isolated.map((file) => ({ arg: file, weight: weightOf(file) }));
/** Groups of files to run one process each: [name, files]; a group of one file runs as that file. */
const groups = [];
if (grouping) {
  deal(light, Math.min(wantedGroups, light.length)).forEach((g, i, all) =>
    groups.push([`group-${i + 1}-of-${all.length}`, g.files]),
  );
  for (const a of apart) if (a.files.length > 0) groups.push([a.name, a.files]);
} else {
  groups.push(...[...light, ...apart.flatMap((a) => a.files)].map((f) => [f, [f]]));
}
let tmp = null;
for (const [name, members] of groups) {
  const weight = members.reduce((sum, f) => sum + weightOf(f), 0);
  if (members.length === 1) {
    jobs.push({ arg: members[0], weight });
    continue;
  }
  tmp ??= mkdtempSync(path.join(os.tmpdir(), 'sspr-test-groups-'));
  const entry = path.join(tmp, `${name}.test.mjs`);
  const urls = members.map((f) => [f, pathToFileURL(path.join(root, f)).href]);
  writeFileSync(
    entry,
    [
      '// Generated by scripts/test.mjs: these test files run one after the other in this one process.',
      "import { test } from 'node:test';",
      `const files = ${JSON.stringify(urls, null, 2)};`,
      'for (const [file, url] of files) {',
      '  try {',
      '    await import(url);',
      '  } catch (error) {',
      '    test(`${file} loads`, () => {',
      '      throw error;',
      '    });',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  jobs.push({ arg: entry, weight });
  console.log(`${name} (one process): ${members.join(' ')}`);
}
// longest first: node's runner starts the files in this order, `--test-concurrency` at a time
jobs.sort((a, b) => b.weight - a.weight);

const concurrency = process.env.SSPR_TEST_CONCURRENCY ?? '2';
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--import',
    './test/helpers/cheap-hashing.ts',
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec',
    ...jobs.map((j) => j.arg),
  ],
  { cwd: root, stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
if (tmp) rmSync(tmp, { recursive: true, force: true });
process.exit(result.status ?? 1);
