import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { builtBundle } from '../cli/run-sspr.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const bundles = new Map<string, Promise<string>>();

export interface BundleOptions {
  /**
   * Write the bundle into the production build's folder (`builtBundle()`), beside sspr.mjs, its
   * static/ files and the outbox thread's module, which the app finds next to its own module: for
   * an entry that starts the whole app.
   */
  readonly besideBuild?: boolean;
}

/**
 * `entry` (a .ts file under the project) as one ES module for a child process to run with plain
 * node: bundled by esbuild once per test process, npm packages left as imports, written under
 * dist/ so that they resolve from the project's node_modules, removed when the process exits.
 * Starting a child through tsx costs ~2 s of CPU (tsx, then the sources compiled again); the
 * bundle ~0.2 s. Resolves to the bundle's file: URL.
 */
export function bundled(entry: string, options: BundleOptions = {}): Promise<string> {
  const file = path.resolve(ROOT, entry);
  const key = `${options.besideBuild ? 'build:' : ''}${file}`;
  let made = bundles.get(key);
  if (!made) {
    made = (async () => {
      const dir = options.besideBuild ? path.dirname(builtBundle()) : ownFolder();
      const outfile = path.join(dir, `${path.basename(file).replace(/\.tsx?$/, '')}.mjs`);
      await build({
        entryPoints: [file],
        bundle: true,
        platform: 'node',
        format: 'esm',
        packages: 'external',
        outfile,
        jsx: 'automatic',
        jsxImportSource: 'preact',
        logLevel: 'warning',
      });
      return pathToFileURL(outfile).href;
    })();
    bundles.set(key, made);
  }
  return made;
}

/** A folder of this process's own under dist/, removed when the process exits. */
function ownFolder(): string {
  mkdirSync(path.join(ROOT, 'dist'), { recursive: true });
  const dir = mkdtempSync(path.join(ROOT, 'dist', 'test-bundle-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
