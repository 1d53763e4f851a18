#!/usr/bin/env node
// Runs every test file under test/ with node:test through tsx. Node 20 has no --test globs, so
// the files are listed here; a bare `node --test` would find no .ts file and report 0 tests.
//
//   node scripts/test.mjs [substring of a test path …]
//
// Most of a test process's CPU went to starting it: tsx, then the app's module graph (fastify,
// kysely, zod, ioredis… ~2 s of CPU), and for a browser test a Chromium, before the first test
// runs. So test files run several to a process: they are dealt into groups, and each group is one
// generated entry file that imports its test files one after the other; node's runner treats a
// group like one test file (a process of its own, `--test-concurrency` at a time). Node 22.8's
// `--experimental-test-isolation=none` would do this, but Node 20 lacks it.
//
// In a group, the files share one process: their tests run one after the other in import order,
// a top-level after() of a file runs when the whole group ends, and module state is shared (the
// migrated template database, the password dictionary, the browser tests' one Chromium:
// test/e2e/harness.ts launchBrowser()). Some files keep a process of their own (ALONE below).
//
// The files that start the Samba AD domain controller (test/directories/samba.ts startSambaDc())
// all run in one process of their own, the `samba` group: its LDAP ports cannot be moved, so one DC
// runs per machine at a time (a machine-wide lock), and in one process the files share one DC
// (started once, each file in its own OU) instead of each starting its own copy and waiting for the
// lock in a lane of the runner. With SSPR_TEST_GROUPS=0 each runs alone and they take turns.
// A file that fails to load fails as a test named after it, and every failing test is reported
// with its own file and line.
//
// Environment: SSPR_AXE_VERDICTS_DIR=<folder> keeps axe's verdicts there for a later run of the
// same checkout (below); SUITE_CPU_LOG=<folder> writes the CPU each test cost (scripts/cpu-meter.mjs: a
// file per process, a line per test; `sort -t$'\t' -k4 -n <folder>/*` lists the costliest last);
// SSPR_TEST_CONCURRENCY (processes at once, default 3); SSPR_TEST_GROUPS (how many
// groups the light files are dealt into, default 6; 0 runs every light and scale file in its own
// process, as before); SSPR_TEST_BROWSER_GROUPS (the same for browser files, default 3); SSPR_TEST_PLAN=1
// prints the jobs in the order they would start, and runs nothing.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(import.meta.dirname, '..');
const RUNNER_SETTINGS = [
  'SSPR_AXE_VERDICTS_DIR',
  'SSPR_TEST_CONCURRENCY',
  'SSPR_TEST_GROUPS',
  'SSPR_TEST_BROWSER_GROUPS',
  'SSPR_TEST_PLAN',
];
const only = process.argv.slice(2);
/** The name of the last test of every entry; its absence from the run means tests were lost. */
const RAN_MARK = '[runner] every test file of this process ran:';
const escapeRe = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Files that run in a process of their own, each with why. */
const ALONE = [
  [(f) => f === 'test/scale/two-instances.test.ts', 'real `sspr serve` processes under load, kill -9'],
  [(f) => f.startsWith('test/model/'), 'long CPU-bound model run: a lane of its own'],
  [(f) => /^test\/cli\/(cli-serve|build)\.test\.ts$/.test(f), 'builds and spawns the bundle'],
  [(f) => f === 'test/scale/serve-workers.test.ts', 'the bundle with --workers 2: forks, kill -9, SIGTERM'],
];
/** Kinds of files that share processes only among themselves: [name, test, groups]. */
const KINDS = [
  [
    'browser',
    (f) => f.startsWith('test/e2e/') || f.endsWith('-browser.test.ts'),
    envCount('SSPR_TEST_BROWSER_GROUPS', 3),
  ],
  ['scale', (f) => f.startsWith('test/scale/'), envCount('SSPR_TEST_GROUPS', 6) === 0 ? 0 : 2],
  // the OpenLDAP files (each starts its own slapd; each sets the bind password under a name of its
  // own in process.env): one process, rather than six that each load the app (~3 s of CPU apiece)
  ['directory', (f) => f.startsWith('test/directories/'), envCount('SSPR_TEST_GROUPS', 6) === 0 ? 0 : 1],
  ['light', () => true, envCount('SSPR_TEST_GROUPS', 6)],
];

/**
 * Rough seconds of the heaviest files (one file per process, Node 20, 2 cores): the runner starts
 * the longest jobs first so that no long one starts last, and balances the groups with it. Only
 * the order and the grouping depend on it. Other files weigh by their size: ~1 s per 4 KB, a
 * browser file 8 s per 4 KB (pages, axe scans, waits), a scale file 5 s (real servers, outages),
 * a file with its own directory server 3 s.
 */
const KNOWN_SECONDS = {
  'test/e2e/reset-journeys.test.ts': 60,
  'test/model/reset-model.test.ts': 65,
  'test/scale/two-instances.test.ts': 60,
  'test/cli/cli-serve.test.ts': 15,
  'test/cli/build.test.ts': 10,
  'test/scale/serve-workers.test.ts': 40,
};

function envCount(name, fallback) {
  const n = Number(process.env[name] ?? fallback);
  return Number.isInteger(n) && n >= 0 ? n : fallback;
}

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return walk(full);
    return /\.test\.tsx?$/.test(name) ? [path.relative(root, full).split(path.sep).join('/')] : [];
  });
}

let files = walk(path.join(root, 'test')).sort();
if (only.length > 0) files = files.filter((f) => only.some((o) => f.includes(o)));
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}
const texts = new Map(files.map((f) => [f, readFileSync(path.join(root, f), 'utf8')]));
const samba = (f) => texts.get(f).includes('startSambaDc(');

function weightOf(file) {
  if (KNOWN_SECONDS[file] !== undefined) return KNOWN_SECONDS[file];
  const size = texts.get(file).length / 4096;
  if (KINDS[0][1](file)) return size * 8;
  if (file.startsWith('test/scale/')) return size * 5;
  return file.startsWith('test/directories/') ? size * 3 : size;
}

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

let tmp = null;
/** Each entry's last test (RAN_MARK and the entry's name). */
const markers = new Map();
/** Writes the entry of a group: one test process that imports `group` one file after the other. */
function groupEntry(name, group) {
  const entry = writeEntry(`${name}.test.mjs`, group);
  console.log(`${name} (one process): ${group.join(' ')}`);
  return entry;
}

/**
 * Writes an entry file `name` in the run's temporary folder that imports `group` in order. When the
 * group holds files that use the Samba DC, the entry starts it first and holds it to the end: when it
 * cannot start (no samba, port 636 taken by a stray one), the process fails with that error and no
 * test file is evaluated. Evaluated, every file's before() would fail at once, the group's after()
 * hooks would run while another file's before() was still starting its server and browser, and
 * those would keep the process alive: the run hung (seen with 636 taken).
 */
function writeEntry(name, group) {
  tmp ??= mkdtempSync(path.join(os.tmpdir(), 'sspr-test-groups-'));
  const entry = path.join(tmp, name);
  const marker = `${RAN_MARK} ${name}`;
  markers.set(entry, marker);
  const urls = group.map((f) => pathToFileURL(path.join(root, f)).href);
  const lines = [
    '// Generated by scripts/test.mjs: these test files run one after the other in this one process.',
    "import { test } from 'node:test';",
  ];
  if (group.some(samba)) {
    // a module of its own, imported first: its top-level await holds the test files back until the
    // DC is up; if it cannot start, the error fails this process and no test file is evaluated
    const dcModule = path.join(tmp, name.replace(/\.test\.mjs$/, '-dc.mjs'));
    const sambaTs = pathToFileURL(path.join(root, 'test/directories/samba.ts')).href;
    writeFileSync(
      dcModule,
      [
        "import { after } from 'node:test';",
        `import { startSambaDc } from ${JSON.stringify(sambaTs)};`,
        'const dc = await startSambaDc();',
        'after(() => dc.stop());',
        '',
      ].join('\n'),
    );
    lines.push(`import ${JSON.stringify(pathToFileURL(dcModule).href)};`);
  }
  // Static imports, not `await import()` one after the other: the files are then evaluated in one
  // go, in this order, before any of their tests starts. Imported while tests of an earlier file
  // ran, a file's top-level after() could be taken for a hook of the suite running at that moment
  // (test/helpers/no-promise-tracking.ts leaves node:test only the Test resources to find the
  // current suite by): it then ran when that suite ended, before the file's own before() had built
  // what it closes (CI: "Cannot read properties of undefined (reading 'close')" in an after hook).
  for (const url of urls) lines.push(`import ${JSON.stringify(url)};`);
  // registered after every file's tests, so it runs last: the runner checks that it ran
  lines.push(`test(${JSON.stringify(marker)}, () => {});`, '');
  writeFileSync(entry, lines.join('\n'));
  return entry;
}

/** Every job: a test file, or a generated group entry; weight; whether it holds the Samba DC. */
const jobs = [];
const sambaFiles = files.filter(samba);
if (sambaFiles.length > 1 && envCount('SSPR_TEST_GROUPS', 6) > 0) {
  const weight = sambaFiles.reduce((sum, f) => sum + weightOf(f), 0);
  jobs.push({ arg: groupEntry('samba', sambaFiles), weight, samba: true });
} else for (const f of sambaFiles) jobs.push({ arg: f, weight: weightOf(f), samba: true });
const alone = files.filter((f) => !samba(f) && ALONE.some(([is]) => is(f, texts.get(f))));
for (const f of alone) jobs.push({ arg: f, weight: weightOf(f), samba: false });
let rest = files.filter((f) => !samba(f) && !alone.includes(f));
for (const [kind, is, count] of KINDS) {
  const mine = rest.filter((f) => is(f));
  rest = rest.filter((f) => !mine.includes(f));
  if (mine.length === 0) continue;
  const groups = count === 0 ? mine.map((f) => ({ files: [f] })) : deal(mine, Math.min(count, mine.length));
  groups.forEach((g, i) => {
    const weight = g.files.reduce((sum, f) => sum + weightOf(f), 0);
    if (g.files.length === 1) return jobs.push({ arg: g.files[0], weight, samba: false });
    const name = groups.length > 1 ? `${kind}-${i + 1}-of-${groups.length}` : kind;
    jobs.push({ arg: groupEntry(name, g.files), weight, samba: false });
  });
}

// Longest first: node's runner starts the jobs in this order, `--test-concurrency` at a time. When
// the Samba files run one per process (SSPR_TEST_GROUPS=0), they wait for each other's lock, so
// they are spread out over the order rather than started side by side, where one lane would only
// wait; the one `samba` group keeps its place by weight.
jobs.sort((a, b) => b.weight - a.weight);
const sambaJobs = jobs.filter((j) => j.samba);
const spread = sambaJobs.length > 1;
const order = spread ? jobs.filter((j) => !j.samba) : jobs;
if (spread)
  sambaJobs.forEach((j, i) => {
    order.splice(Math.min(order.length, Math.round(((i + 0.5) * order.length) / sambaJobs.length) + i), 0, j);
  });

// node's runner sorts the files it is given by path before it starts them (Node 20 and 24), so the
// order above was lost: the longest single files (under test/) started after every group (under
// the temporary folder), last of all, and the run ended with one or two lanes busy. Every job is
// therefore started through an entry in the temporary folder whose name begins with its place.
const entries = order.map((j, i) => {
  const place = String(i).padStart(3, '0');
  const name = `${place}-${path.basename(j.arg).replace(/\.test\.(m?js|tsx?)$/, '')}.test.mjs`;
  if (j.arg.startsWith(tmp ?? '\u0000')) {
    const renamed = path.join(tmp, name);
    renameSync(j.arg, renamed);
    markers.set(renamed, markers.get(j.arg));
    return renamed;
  }
  return writeEntry(name, [j.arg]);
});

if (process.env.SSPR_TEST_PLAN === '1') {
  // the order the jobs start in, with their weights, and nothing run
  for (const j of order)
    console.log(`${j.weight.toFixed(1).padStart(6)}  ${j.samba ? 'samba ' : ''}${path.basename(j.arg)}`);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  process.exit(0);
}
// 3 on 2 cores: grouped, the processes wait a good part of the time (PostgreSQL, real servers,
// the browser, the Samba lock), and at 2 the light files kept 0.8 of the 2 cores busy
const concurrency = process.env.SSPR_TEST_CONCURRENCY ?? '3';
const tapFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'sspr-test-tap-')), 'run.tap');
// SSPR_AXE_VERDICTS_DIR: a folder given by the caller, kept after the run (.ci/run gives the Node 20
// and the Node 24 runs of one checkout the same one: the same code serves the same markup, so a page
// scanned in the first run is not scanned again in the second); else a folder of this run's own
const givenVerdicts = process.env.SSPR_AXE_VERDICTS_DIR;
const verdicts = givenVerdicts ?? mkdtempSync(path.join(os.tmpdir(), 'sspr-axe-verdicts-'));
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    // before anything loads node:test: its harness tracks no promises (the file says why)
    '--import',
    './test/helpers/no-promise-tracking.ts',
    '--import',
    './test/helpers/cheap-hashing.ts',
    // SUITE_CPU_LOG=<folder>: one line per test with the CPU it cost (scripts/cpu-meter.mjs)
    ...(process.env.SUITE_CPU_LOG ? ['--import', './scripts/cpu-meter.mjs'] : []),
    '--test',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tapFile}`,
    // no --test-force-exit: the runner takes a group's tests as ended when the files imported so
    // far have run, and the flag then ended the process before the next file was imported — on
    // Node 20 always (CI at 08ca4d8: 891 tests ran on Node 20, 1107 on Node 24), on Node 24 now
    // and then (CI at ded6131: a light group cut short, caught by the check below)
    ...entries,
  ],
  {
    cwd: root,
    stdio: 'inherit',
    // NODE_COMPILE_CACHE: Node ≥ 22 keeps V8's compiled code of the modules on disk, so each test
    // process after the first loads the app's dependencies faster (~0.2 s of CPU on Node 24);
    // Node 20 ignores it
    // the runner's own settings stay here: `sspr` refuses SSPR_* settings it does not know, and
    // some tests run it with the environment they were given
    env: {
      NODE_COMPILE_CACHE: path.join(os.tmpdir(), 'sspr-test-compile-cache'),
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !RUNNER_SETTINGS.includes(k))),
      NODE_ENV: 'test',
      // axe's verdicts, shared by the run's test processes (test/e2e/harness.ts axeViolations)
      AXE_VERDICTS_DIR: verdicts,
    },
  },
);
// Every entry ends with a test of its own (RAN_MARK): a process that ended before it (cut short,
// or killed) lost tests without a failure to show for it, so its absence fails the run.
const tap = readFileSync(tapFile, 'utf8');
const cutShort = entries.filter((e) => !new RegExp(`^\\s*ok \\d+ - ${escapeRe(markers.get(e))}$`, 'm').test(tap));
for (const e of cutShort)
  console.log(`✖ ${path.basename(e)}: its process ended before all its test files had run (${RAN_MARK} missing)`);
if (tmp) rmSync(tmp, { recursive: true, force: true });
if (!givenVerdicts) rmSync(verdicts, { recursive: true, force: true });
process.exit(cutShort.length > 0 ? 1 : (result.status ?? 1));
