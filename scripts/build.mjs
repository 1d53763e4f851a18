#!/usr/bin/env node
// Production build: bundles src/cli/main.ts (and everything it imports from src) into one ES
// module, <outdir>/sspr.mjs, run with plain `node` (no tsx at run time). npm packages stay
// imports from node_modules (native addons such as better-sqlite3 and @node-rs/argon2 cannot be
// bundled), so the output directory must sit inside the project, where node_modules is found.
//
//   node scripts/build.mjs [--outdir <dir>]     (default: dist)
import { cpSync, mkdirSync, rmSync, statSync } from 'node:fs';
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
await build({
  absWorkingDir: root,
  entryPoints: ['src/cli/main.ts'],
  outfile,
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
});

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
console.log(`build: copied src/http/static/ to ${rel(staticDir)}/`);
console.log(`build: done in ${(performance.now() - started).toFixed(0)} ms`);
