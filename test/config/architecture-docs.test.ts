import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

// docs/architecture.md names every service and port in a line each (issue 10, item 8): a new file in
// src/service or src/ports that the page does not describe fails here, and so does a line naming a
// file that is gone.
const root = path.resolve(import.meta.dirname, '../..');
const doc = readFileSync(path.join(root, 'docs/architecture.md'), 'utf8');

function tsFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir)).flatMap((name) => {
    const rel = path.posix.join(dir, name);
    if (statSync(path.join(root, rel)).isDirectory()) return tsFiles(rel);
    return name.endsWith('.ts') ? [rel] : [];
  });
}

/** The doc's line for a file: its path below src/ (or below its layer folder), followed by what it does. */
function describedLine(file: string): string | undefined {
  const below = file.replace(/^src\//, '');
  const inLayer = below.replace(/^(service|ports)\//, '');
  return doc
    .split('\n')
    .find((line) => new RegExp(`(^|[\\s\`/])(${escape(below)}|${escape(inLayer)})\`?\\s+\\S`).test(line));
}
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

for (const layer of ['src/service', 'src/ports']) {
  test(`docs/architecture.md describes every file in ${layer} in a line of its own`, () => {
    const files = tsFiles(layer);
    assert.ok(files.length > 5, `${layer} has files`);
    const missing = files.filter((f) => describedLine(f) === undefined);
    assert.deepEqual(missing, [], 'add a line "<file>  what it does" to docs/architecture.md');
  });
}

test('docs/architecture.md names no service or port file that does not exist', () => {
  const known = new Set([...tsFiles('src/service'), ...tsFiles('src/ports')].map((f) => path.posix.basename(f)));
  const section = doc.slice(doc.indexOf('## Ports'), doc.indexOf('## Adapters'));
  assert.ok(section.length > 100, 'the page has "## Ports" and "## Services" sections before "## Adapters"');
  const named = [...section.matchAll(/([\w-]+\.ts)\b/g)].map((m) => m[1]!);
  assert.deepEqual(
    named.filter((n) => !known.has(n)),
    [],
  );
});

test('docs/architecture.md draws the layers', () => {
  assert.match(doc, /```mermaid\n(flowchart|graph) /);
  for (const layer of ['core', 'ports', 'service', 'adapters', 'http', 'cli'])
    assert.match(doc, new RegExp(`\\b${layer}\\b`));
});
