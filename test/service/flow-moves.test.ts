import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * The state machine is the only way a flow moves (issue 10, item 3): the one place that writes a
 * flow's row is src/service/reset/flow-access.ts, whose writes apply `transition()` (advance,
 * complete, the deadline) or move no state (countSend). The model test's rule
 * `moves-by-transition` checks the same at run time: every move it sees is an edge.
 */
const ROOT = path.resolve(import.meta.dirname, '../..');
const THE_MOVER = 'src/service/reset/flow-access.ts';
/**
 * Writes still outside it, each with its reason. ResetService.setPassword completes its flow with
 * a direct update: its body belongs to the credential-change work (issue 10, item 1); switching it
 * to `FlowAccess.complete` removes it from here.
 */
const NOT_YET: Readonly<Record<string, number>> = {};

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : /\.tsx?$/.test(name) ? [full] : [];
  });
}

test('only reset/flow-access.ts writes a flow row (flows.update), so every move goes through transition()', () => {
  const writers = new Map<string, number>();
  for (const file of filesUnder(path.join(ROOT, 'src'))) {
    const rel = path.relative(ROOT, file).split(path.sep).join('/');
    const n = (readFileSync(file, 'utf8').match(/\bflows\.update\(/g) ?? []).length;
    if (n > 0) writers.set(rel, n);
  }
  assert.ok((writers.get(THE_MOVER) ?? 0) >= 3, 'flow-access moves flows (advance, complete, deadline, countSend)');
  for (const [file, n] of writers) {
    if (file === THE_MOVER) continue;
    assert.ok(
      n <= (NOT_YET[file] ?? 0),
      `${file} writes a flow row directly (${n}×): move it with FlowAccess (transition()) instead`,
    );
  }
});

test('flow-access applies transition() before each state it writes', () => {
  const src = readFileSync(path.join(ROOT, THE_MOVER), 'utf8');
  const writesState = [...src.matchAll(/flows\.update\([^)]*\{[^}]*\bstate:\s*([^,\n}]+)/g)].map((m) => m[1]!.trim());
  assert.ok(writesState.length >= 3, 'the writes that move a flow were found');
  for (const value of writesState)
    assert.match(value, /^next\.value\.state$/, `state written from transition(): ${value}`);
});
