#!/usr/bin/env node
// Production build: bundles src/cli/main.ts (and everything it imports from src) into one ES
// module, <outdir>/sspr.mjs, run with plain `node` (no tsx at run time). npm packages stay
// imports from node_modules (native addons such as better-sqlite3 and @node-rs/argon2 cannot be
// bundled), so the output directory must sit inside the project, where node_modules is found.
//
//   node scripts/build.mjs [--outdir <dir>]     (default: dist)
import { cpSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const started = performance.now();

let outdir;
try {
  const { values } = parseArgs({ options: { outdir: { type: 'string', default: 'dist' } } });
  outdir = path.resolve(root, values.outdir);
} catch (error) {
  console.error(`build: ${error.message}. Usage: node scripts/build.mjs [--outdir <dir>]`);
  process.exit(2);
}
const src = path.join(root, 'src');
if (outdir === root || outdir === src || outdir.startsWith(src + path.sep)) {
  console.error(`build: refusing to write into ${outdir}; choose an output directory outside src/ (default: dist).`);
  process.exit(2);
}

const outfile = path.join(outdir, 'sspr.mjs');
// the outbox thread (src/adapters/outbox-thread.ts) loads its own module from beside sspr.mjs
const threadFile = path.join(outdir, 'outbox-thread-main.mjs');
const common = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  sourcemap: 'external',
  sourcesContent: false,
  legalComments: 'none',
  logLevel: 'warning',
};
await build({ ...common, entryPoints: ['src/cli/main.ts'], outfile });
await build({ ...common, entryPoints: ['src/outbox-thread-main.ts'], outfile: threadFile });

// esbuild escapes non-ASCII characters in strings and regular expressions (charset: 'ascii') but
// copies the comments it keeps as they are: a single '—' in one of them makes V8 hold the whole
// module's source (kept for lazy compilation and toString) as a two-byte string, 5.9 MiB of heap
// instead of 2.9 MiB. Escaped in place, the comments read the same and every line keeps its place
// (the source map stays true: the lines concerned are comments).
const code = readFileSync(outfile, 'utf8');
const ascii = code.replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
if (ascii !== code) writeFileSync(outfile, ascii);

// src/http/server.ts serves STATIC_DIR = new URL('./static/', import.meta.url): in the bundle
// that URL is <outdir>/static/, so the files go there (replaced whole: no stale file lingers).
const staticDir = path.join(outdir, 'static');
rmSync(staticDir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
cpSync(path.join(src, 'http/static'), staticDir, { recursive: true });

const rel = (f) => path.relative(process.cwd(), f) || '.';
const kib = (f) => `${(statSync(f).size / 1024).toFixed(0)} KiB`;
console.log(`build: wrote ${rel(outfile)} (${kib(outfile)})`);
console.log(`build: wrote ${rel(outfile)}.map (${kib(`${outfile}.map`)})`);
console.log(`build: wrote ${rel(threadFile)} (${kib(threadFile)})`);
console.log(`build: copied src/http/static/ to ${rel(staticDir)}/`);
console.log(`build: done in ${(performance.now() - started).toFixed(0)} ms`);
