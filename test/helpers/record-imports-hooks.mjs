// The loader hooks of record-imports.mjs (they run on the loader's own thread).
import { appendFileSync } from 'node:fs';

let file = '';

export function initialize(data) {
  file = data.file;
}

export async function resolve(specifier, context, next) {
  // a package (`fastify`, `@scope/name/sub`), not a relative path, a URL or a node: builtin
  if (!/^(\.|\/|[a-z][a-z0-9+.-]*:)/i.test(specifier)) appendFileSync(file, `${specifier}\n`);
  return next(specifier, context);
}
