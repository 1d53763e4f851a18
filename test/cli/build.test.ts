import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { baseEnv, ROOT, tempDataDir, watchServe } from './run-sspr.ts';

// The production build (scripts/build.mjs → <outdir>/sspr.mjs) run with plain `node`, as
// production and `npm start` run it. The output directory sits under dist/ (git-ignored): the
// bundle imports its npm packages from the project's node_modules, found from there.
const DIST = path.join(ROOT, 'dist');
const distExisted = existsSync(DIST);
mkdirSync(DIST, { recursive: true });
const outdir = mkdtempSync(path.join(DIST, 'test-build-'));
const data = tempDataDir();
after(() => {
  rmSync(outdir, { recursive: true, force: true });
  data.cleanup();
  if (!distExisted) {
    try {
      rmdirSync(DIST); // only when empty: a concurrent `npm run build` may have written to it
    } catch {
      // not empty: leave it
    }
  }
});

test('the production build bundles src into one ES module with no TypeScript left to load', () => {
  const built = spawnSync(process.execPath, ['scripts/build.mjs', '--outdir', path.relative(ROOT, outdir)], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(built.status, 0, `build exit ${built.status}\nstdout: ${built.stdout}\nstderr: ${built.stderr}`);
  assert.match(built.stdout, /wrote .*sspr\.mjs \(\d+ KiB\)/);

  const bundle = readFileSync(path.join(outdir, 'sspr.mjs'), 'utf8');
  // static imports and re-exports (esbuild writes them at the start of a line), bare imports, import()
  const importRe =
    /^\s*(?:import|export)\s[^;]*?\bfrom\s*"([^"]+)"|^\s*import\s*"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)/gm;
  const specifiers = [...bundle.matchAll(importRe)].map((m) => (m[1] ?? m[2] ?? m[3])!);
  assert.ok(specifiers.includes('fastify'), 'npm packages stay imports from node_modules');
  assert.ok(specifiers.includes('better-sqlite3'), 'the native addon is imported, not bundled');
  assert.deepEqual(
    specifiers.filter((s) => /^tsx(\/|$)/.test(s)),
    [],
    'the bundle never imports tsx',
  );
  assert.deepEqual(
    specifiers.filter((s) => /\.(ts|tsx|mts|cts)$/.test(s)),
    [],
    'no TypeScript module is left to import',
  );

  // the source map points stack traces (node --enable-source-maps) at the TypeScript sources
  const map = JSON.parse(readFileSync(path.join(outdir, 'sspr.mjs.map'), 'utf8')) as { sources: string[] };
  const sources = map.sources.map((s) => path.resolve(outdir, s));
  assert.ok(
    sources.includes(path.join(ROOT, 'src/cli/main.ts')),
    `src/cli/main.ts among ${map.sources.length} sources`,
  );

  assert.equal(
    readFileSync(path.join(outdir, 'static/sspr.css'), 'utf8'),
    readFileSync(path.join(ROOT, 'src/http/static/sspr.css'), 'utf8'),
    'the static files are copied next to the bundle',
  );
});

test('node <outdir>/sspr.mjs serve --demo: answers /healthz, renders the reset page and serves its stylesheet', async () => {
  const bundle = path.join(outdir, 'sspr.mjs');
  assert.ok(existsSync(bundle), 'the build test ran first and wrote the bundle');
  // a clean environment (baseEnv: no NODE_OPTIONS) and no node flags: nothing can load tsx
  const child = spawn(process.execPath, [bundle, 'serve', '--port', '0', '--demo'], {
    cwd: ROOT,
    env: baseEnv(data.dir),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  assert.deepEqual(
    child.spawnargs.filter((a) => a.startsWith('--')),
    ['--port', '--demo'],
    'plain node: no --import / --loader flag',
  );
  const serve = watchServe(child);
  let stopped: Awaited<ReturnType<typeof serve.stop>> | undefined;
  try {
    const base = await serve.listening();

    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);

    const page = await fetch(`${base}/reset`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const html = await page.text();
    assert.match(html, /<form[^>]*method="post"/);
    assert.match(html, /name="login"/);

    const stylesheets = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((m) => m[1]!);
    const own = stylesheets.find((href) => href.startsWith('/static/') && !href.startsWith('/static/altcha/'));
    assert.ok(own, `the page links a stylesheet under /static/: ${stylesheets.join(', ')}`);
    const css = await fetch(`${base}${own}`);
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
    const cssText = await css.text();
    assert.match(cssText, /[.#:\w-]+\s*\{[^}]*:[^}]*\}/, 'a CSS rule');
    assert.equal(
      cssText,
      readFileSync(path.join(ROOT, 'src/http/static', own.slice('/static/'.length)), 'utf8'),
      'the stylesheet of the sources',
    );
    for (const href of stylesheets.filter((h) => h.startsWith('/static/altcha/'))) {
      const r = await fetch(`${base}${href}`); // read from the installed altcha package
      assert.equal(r.status, 200, href);
      assert.match(r.headers.get('content-type') ?? '', /^text\/css/, href);
    }
  } finally {
    stopped = await serve.stop();
  }
  assert.deepEqual(stopped, { code: 0, signal: null }, `clean exit\n${serve.stderr()}`);
});

/**
 * Packages a started server does not need, each loaded by the code that uses it on first use, once
 * (docs/operations.md, "Memory"): holding them from the start cost ~30 MiB of resident memory.
 */
const LOADED_ON_FIRST_USE = [
  'sharp', // a tenant logo is re-encoded (admin upload)
  'qrcode', // an authenticator app is enrolled
  '@simplewebauthn/server', // a passkey ceremony
  'pg', // SSPR_DATABASE_URL is postgres://
  'ioredis', // SSPR_REDIS_URL is set
];

test('the bundle is ASCII: V8 keeps its source as one byte per character, not two', () => {
  const bundle = readFileSync(path.join(outdir, 'sspr.mjs'), 'utf8');
  const at = bundle.search(/[\u0080-\uffff]/);
  assert.equal(at, -1, `a character beyond ASCII: ${JSON.stringify(bundle.slice(at - 60, at + 20))}`);
});

test('node <outdir>/sspr.mjs serve (SQLite) starts without the packages it loads on first use', async () => {
  const bundle = path.join(outdir, 'sspr.mjs');
  assert.ok(existsSync(bundle), 'the build test ran first and wrote the bundle');
  const imports = path.join(data.dir, 'imports.txt');
  writeFileSync(imports, '');
  const child = spawn(
    process.execPath,
    ['--import', path.join(ROOT, 'test/helpers/record-imports.mjs'), bundle, 'serve', '--port', '0', '--demo'],
    { cwd: ROOT, env: { ...baseEnv(data.dir), RECORD_IMPORTS_FILE: imports }, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const serve = watchServe(child);
  try {
    const base = await serve.listening();
    assert.equal((await fetch(`${base}/healthz`)).status, 200);
    assert.equal((await fetch(`${base}/reset`)).status, 200);
  } finally {
    await serve.stop();
  }
  const loaded = new Set(readFileSync(imports, 'utf8').split('\n').filter(Boolean));
  // the recorder sees the packages the server does use: an empty list would prove nothing
  for (const used of ['fastify', 'better-sqlite3', 'kysely', 'nodemailer'])
    assert.ok(loaded.has(used), `${used} among the imports recorded: ${[...loaded].join(', ')}`);
  assert.deepEqual(
    LOADED_ON_FIRST_USE.filter((p) => loaded.has(p)),
    [],
    'loaded at start although only a rarely used feature (or another backend) needs them',
  );
});
