import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import {
  canonicalEvent,
  canonicalJson,
  chainHash,
  ChainWalker,
  GENESIS_HASH,
  type ChainedEvent,
  type ChainHead,
  type ChainResult,
  type ChainRow,
  type ChainStart,
  unchainedKind,
} from '../../src/core/audit-chain.ts';

const T0 = 1_700_000_000_000;

function event(i: number, extra: Partial<ChainedEvent> = {}): ChainedEvent {
  return {
    at: T0 + i * 1000,
    tenantId: 't1',
    accountId: `a${i % 3}`,
    actor: 'self',
    type: 'reset.requested',
    outcome: 'ok',
    ip: '192.0.2.1',
    userAgent: 'agent',
    details: { n: i, found: true },
    ...extra,
  };
}

/** A well-formed chain of `n` events (ids 101…, places 1…) from `start`. */
function chain(n: number, start: ChainStart = { seq: 0, hash: GENESIS_HASH }): ChainRow[] {
  const rows: ChainRow[] = [];
  let prev = start.hash;
  for (let i = 1; i <= n; i++) {
    const e = event(i);
    const hash = chainHash(prev, e);
    rows.push({ id: 100 + i, seq: start.seq + i, prevHash: prev, hash, event: e });
    prev = hash;
  }
  return rows;
}

const headOf = (rows: readonly ChainRow[]): ChainHead => ({ seq: rows.at(-1)!.seq!, hash: rows.at(-1)!.hash! });

/** Walks `rows` in the store's order (place, then id) in pages of `page`. */
function walk(rows: readonly ChainRow[], head: ChainHead | null, page = 7, start?: ChainStart): ChainResult {
  const sorted = [...rows].sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0) || a.id - b.id);
  const w = new ChainWalker(start ?? { seq: 0, hash: GENESIS_HASH });
  for (let i = 0; i < sorted.length; i += page) w.push(sorted.slice(i, i + page));
  return w.finish(head);
}

describe('audit chain: canonical encoding', () => {
  test('keys sorted at every level, fixed fields, UTF-8; insertion order and undefined do not matter', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: 'x', c: null } }), '{"a":{"c":null,"d":"x"},"b":1}');
    const e = event(1, { details: { zeta: 'ü', alpha: 2, skip: undefined } as unknown as ChainedEvent['details'] });
    const text = canonicalEvent(e);
    assert.equal(
      text,
      `{"account_id":"a1","actor":"self","at":${T0 + 1000},"details":{"alpha":2,"zeta":"ü"},"ip":"192.0.2.1","outcome":"ok","tenant_id":"t1","type":"reset.requested","user_agent":"agent","v":1}`,
    );
    const reordered = { ...e, details: { alpha: 2, zeta: 'ü' } };
    assert.equal(canonicalEvent(reordered), text);
  });

  test('hash = SHA-256(previous hash ‖ canonical event), hex; any field changes it', () => {
    const e = event(1);
    const expected = createHash('sha256')
      .update(Buffer.from(GENESIS_HASH + canonicalEvent(e), 'utf8'))
      .digest('hex');
    assert.equal(chainHash(GENESIS_HASH, e), expected);
    assert.match(expected, /^[0-9a-f]{64}$/);
    assert.notEqual(chainHash('1'.repeat(64), e), expected, 'the previous hash is covered');
    for (const change of [
      { at: e.at + 1 },
      { tenantId: 't2' },
      { accountId: null },
      { actor: 'admin:x' },
      { type: 'code.accepted' },
      { outcome: 'failed' },
      { ip: null },
      { userAgent: 'other' },
      { details: { n: 1, found: false } },
    ]) {
      assert.notEqual(chainHash(GENESIS_HASH, { ...e, ...change }), expected, JSON.stringify(change));
    }
  });
});

describe('audit chain: verification names the first broken event and how', () => {
  test('an intact chain verifies, in any page size', () => {
    const rows = chain(150);
    for (const page of [1, 7, 64, 500]) {
      const r = walk(rows, headOf(rows), page);
      assert.equal(r.ok, true);
      assert.equal(r.checked, 150);
      assert.equal(r.lastSeq, 150);
      assert.equal(r.lastHash, rows[149]!.hash);
    }
    assert.equal(walk([], null).ok, true, 'an empty chain with no head');
  });

  test('edited: a field changed under its hash', () => {
    const rows = chain(100);
    rows[41] = { ...rows[41]!, event: { ...rows[41]!.event, details: { n: 42, found: false } } };
    const r = walk(rows, headOf(rows));
    assert.equal(r.ok, false);
    assert.deepEqual(r.broken, {
      kind: 'edited',
      reason: 'content_changed',
      eventId: 142,
      seq: 42,
      at: T0 + 42_000,
      type: 'reset.requested',
    });
    assert.equal(r.checked, 41);
  });

  test('edited: a field changed and its hash recomputed (the next event still links to the old hash)', () => {
    const rows = chain(100);
    const e = { ...rows[9]!.event, outcome: 'failed' };
    rows[9] = { ...rows[9]!, event: e, hash: chainHash(rows[9]!.prevHash!, e) };
    assert.deepEqual(walk(rows, headOf(chain(100))).broken, {
      kind: 'edited',
      reason: 'hash_rewritten',
      eventId: 110,
      seq: 10,
      at: T0 + 10_000,
      type: 'reset.requested',
    });
  });

  test('edited: the newest event rewritten with its hash (the chain head disagrees)', () => {
    const rows = chain(5);
    const head = headOf(rows);
    const e = { ...rows[4]!.event, actor: 'admin:x' };
    rows[4] = { ...rows[4]!, event: e, hash: chainHash(rows[4]!.prevHash!, e) };
    const b = walk(rows, head).broken!;
    assert.equal(b.kind, 'edited');
    assert.equal(b.reason, 'hash_rewritten');
    assert.equal(b.eventId, 105);
  });

  test('deleted: one or several events in the middle (their numbers are missing)', () => {
    for (const gone of [[30], [30, 31, 32]]) {
      const full = chain(100);
      const rows = full.filter((r) => !gone.includes(r.seq!));
      const b = walk(rows, headOf(full)).broken!;
      assert.equal(b.kind, 'deleted');
      assert.equal(b.reason, 'gap');
      assert.equal(b.eventId, 100 + gone.at(-1)! + 1, 'the event after the gap is named');
      assert.equal(b.missing, gone.length);
    }
  });

  test('deleted: the first events (no checkpoint) and the newest ones (the head is further on)', () => {
    const full = chain(20);
    const first = walk(full.slice(2), headOf(full)).broken!;
    assert.deepEqual([first.kind, first.reason, first.eventId, first.missing], ['deleted', 'gap', 103, 2]);
    const tail = walk(full.slice(0, 17), headOf(full)).broken!;
    assert.deepEqual([tail.kind, tail.reason, tail.eventId, tail.missing], ['deleted', 'tail_missing', 117, 3]);
  });

  test('inserted: a row without chain columns, a copy slotted in with a recomputed hash, a fork', () => {
    const rows = chain(50);
    const loose: ChainRow = { id: 999, seq: null, prevHash: null, hash: null, event: event(7) };
    const w = new ChainWalker({ seq: 0, hash: GENESIS_HASH });
    w.push([loose, ...rows]);
    assert.deepEqual(w.finish(headOf(rows)).broken?.reason, 'not_chained');

    // a forged event with place 20 and a valid hash linking to event 19: the chain skips it
    const forgedEvent = event(20, { type: 'admin.reset_link_sent', actor: 'admin:evil' });
    const forged: ChainRow = {
      id: 1000,
      seq: 20,
      prevHash: rows[18]!.hash,
      hash: chainHash(rows[18]!.hash!, forgedEvent),
      event: forgedEvent,
    };
    const b = walk([...rows, forged], headOf(rows)).broken!;
    assert.deepEqual([b.kind, b.eventId], ['inserted', 1000]);

    // the same forged row, given a smaller id so the walk meets it first: the chain goes on from the real one
    const first = walk([...rows, { ...forged, id: 50 }], headOf(rows)).broken!;
    assert.deepEqual([first.kind, first.reason, first.eventId], ['inserted', 'fork', 50]);
  });

  test('inserted: events after the newest one the head knows', () => {
    const rows = chain(10);
    const b = walk(rows, headOf(rows.slice(0, 8))).broken!;
    assert.deepEqual([b.kind, b.reason, b.eventId], ['inserted', 'beyond_head', 109]);
  });

  test('reordered: two events swapped (adjacent, and farther apart)', () => {
    for (const [x, y] of [
      [40, 41],
      [40, 45],
    ] as const) {
      const rows = chain(100).map((r) => (r.seq === x ? { ...r, seq: y } : r.seq === y ? { ...r, seq: x } : r));
      const b = walk(rows, headOf(chain(100))).broken!;
      assert.equal(b.kind, 'reordered', `${x}<->${y}: ${JSON.stringify(b)}`);
      assert.equal(b.eventId, 100 + y, 'the event that now comes too early is named');
      assert.equal(b.seq, x);
    }
  });

  test('a chain that starts at a checkpoint; a row left behind it is inserted', () => {
    const start = { seq: 500, hash: 'a'.repeat(64) };
    const rows = chain(30, start);
    assert.equal(walk(rows, headOf(rows), 7, start).ok, true);
    const stale: ChainRow = { ...chain(1)[0]!, id: 1, seq: 499 };
    const b = walk([stale, ...rows], headOf(rows), 7, start).broken!;
    assert.deepEqual([b.kind, b.reason, b.eventId], ['inserted', 'behind_checkpoint', 1]);
    // the first event after the checkpoint deleted
    const gap = walk(rows.slice(1), headOf(rows), 7, start).broken!;
    assert.deepEqual([gap.kind, gap.eventId, gap.missing], ['deleted', 102, 1]);
  });
});

describe('audit chain: rows without chain columns', () => {
  test('unchainedKind: below the chain’s oldest chained row (or with none yet) legacy; above it inserted', () => {
    assert.equal(unchainedKind(1, null), 'legacy');
    assert.equal(unchainedKind(99, 100), 'legacy');
    assert.equal(unchainedKind(101, 100), 'inserted');
    assert.equal(unchainedKind(1_000_000, 100), 'inserted');
  });
});
