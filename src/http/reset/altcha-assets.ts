import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';

/**
 * The ALTCHA widget served from our own origin (no CDN), straight from the installed `altcha`
 * package so it can never drift from its version: the `external` build (no inline styles, no
 * inline workers — the CSP allows neither), its stylesheet, and the SHA worker it needs to solve
 * our challenges (`src/static/altcha-setup.js` registers it).
 */
export const ALTCHA_ASSETS: Readonly<Record<string, { readonly file: string; readonly type: string }>> = {
  '/static/altcha/altcha.js': { file: 'external/altcha.min.js', type: 'text/javascript; charset=utf-8' },
  '/static/altcha/altcha.css': { file: 'external/altcha.css', type: 'text/css; charset=utf-8' },
  '/static/altcha/sha-worker.js': { file: 'workers/sha.js', type: 'text/javascript; charset=utf-8' },
};

function altchaDist(): string {
  // `altcha/external` resolves to dist/external/altcha.umd.cjs
  return path.resolve(path.dirname(createRequire(import.meta.url).resolve('altcha/external')), '..');
}

let bodies: ReadonlyMap<string, Buffer> | undefined;

/** The assets' bytes, read once per process (the installed package does not change under it). */
function assetBodies(): ReadonlyMap<string, Buffer> {
  if (!bodies) {
    const dist = altchaDist();
    bodies = new Map(
      Object.entries(ALTCHA_ASSETS).map(([url, asset]) => [url, readFileSync(path.join(dist, asset.file))]),
    );
  }
  return bodies;
}

/** Adds a GET (and HEAD) route for each asset; the files are read at the first registration. */
export function registerAltchaAssets(fastify: FastifyInstance, options: { readonly production: boolean }): void {
  const cacheControl = options.production ? 'public, max-age=3600' : 'no-cache';
  for (const [url, asset] of Object.entries(ALTCHA_ASSETS)) {
    const body = assetBodies().get(url)!;
    fastify.get(url, async (_request, reply) =>
      reply.header('cache-control', cacheControl).type(asset.type).send(body),
    );
  }
}
