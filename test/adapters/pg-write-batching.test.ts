import assert from 'node:assert/strict';
import test from 'node:test';
import type pg from 'pg';
import { batchingPool, LATER, PREPARED } from '../../src/adapters/sql/pg-write-batching.ts';

/** What the batching client hands the pg client: a text with values, or a named statement. */
type Sent = { text: string; values: unknown[]; name?: string };

/** A batching client over a pg client that answers every statement with no rows and records what it was given. */
async function recordingClient(): Promise<{ client: pg.PoolClient; sent: Sent[] }> {
  const sent: Sent[] = [];
  const fake = {
    query(textOrConfig: string | { name: string; text: string; values: unknown[] }, values: unknown[] = []) {
      sent.push(
        typeof textOrConfig === 'string'
          ? { text: textOrConfig, values }
          : { text: textOrConfig.text, values: textOrConfig.values, name: textOrConfig.name },
      );
      return Promise.resolve({ command: 'SELECT', rowCount: 0, rows: [] });
    },
    escapeLiteral: (s: string) => `'${s.replace(/'/g, "''")}'`,
    release() {},
  };
  const pool = batchingPool({
    connect: () => Promise.resolve(fake),
    end: () => Promise.resolve(),
  } as unknown as pg.Pool);
  return { client: await pool.connect(), sent };
}

const LOOKUP = 'select (select row_to_json(a) from accounts a where a.login = $1) as account';

test('pg batching: a prepared statement runs named when sent on its own, the same name for the same text', async () => {
  const { client, sent } = await recordingClient();
  await client.query('begin');
  await client.query('insert into captcha_used (signature) values ($1) returning signature', ['s1']);
  await client.query(PREPARED + LOOKUP, ['a@b.example']);
  await client.query('commit');
  await client.query('begin');
  await client.query('select 1');
  await client.query(PREPARED + LOOKUP, ['c@d.example']);
  await client.query('commit');
  const named = sent.filter((s) => s.name !== undefined);
  assert.equal(named.length, 2, JSON.stringify(sent));
  assert.deepEqual(
    named.map((s) => [s.text, s.values]),
    [
      [LOOKUP, ['a@b.example']],
      [LOOKUP, ['c@d.example']],
    ],
  );
  assert.equal(named[0]!.name, named[1]!.name);
  assert.match(named[0]!.name!, /^sspr_prepared_\d+$/);
});

test('pg batching: a prepared statement that carries the begin or held writes is sent as they are, unnamed', async () => {
  const { client, sent } = await recordingClient();
  // the transaction's first statement: with its begin, values as literals
  await client.query('begin');
  await client.query(PREPARED + LOOKUP, ['a@b.example']);
  assert.deepEqual(sent.at(-1), { text: `begin; ${LOOKUP.replace('$1', "'a@b.example'")}`, values: [] });
  // held writes travel with it
  await client.query(`${LATER}insert into flows (id) values ($1)`, ['f1']);
  await client.query(PREPARED + LOOKUP, ['x@y.example']);
  assert.equal(sent.at(-1)!.name, undefined);
  assert.match(sent.at(-1)!.text, /^with sspr_later_1 as \(insert into flows \(id\) values \(\$2\)\) select/);
  assert.deepEqual(sent.at(-1)!.values, ['x@y.example', 'f1']);
  await client.query('commit');
  assert.ok(sent.every((s) => s.name === undefined));
});

test('pg batching: a read that cannot join a held `with` goes ahead of it; one that reads its tables, or locks, sends it first', async () => {
  const AUDIT =
    'with head as (insert into audit_chain_heads (chain, seq, hash) values ($1, 0, $2) on conflict (chain) do update set seq = audit_chain_heads.seq returning seq, hash) insert into audit_events (seq, hash) select head.seq + 1, head.hash from head';
  const { client, sent } = await recordingClient();
  await client.query('begin');
  await client.query('select 1');
  await client.query(LATER + AUDIT, ['c1', 'h0']);
  // a plain read of other tables: sent alone, the append stays held
  await client.query('select * from tenants where id = $1', ['t1']);
  assert.equal(sent.at(-1)!.text, 'select * from tenants where id = $1');
  assert.ok(!sent.some((s) => /audit_chain_heads/.test(s.text)), JSON.stringify(sent));
  // the commit takes it along
  await client.query('commit');
  assert.match(sent.at(-1)!.text, /^with head as \(insert into audit_chain_heads .*'c1'.*; commit$/s);

  // a read of a table the append writes: the append goes first, on its own
  const second = await recordingClient();
  await second.client.query('begin');
  await second.client.query('select 1');
  await second.client.query(LATER + AUDIT, ['c1', 'h0']);
  await second.client.query('select * from audit_events where seq = $1', [1]);
  assert.match(second.sent.at(-2)!.text, /^with head as /);
  assert.equal(second.sent.at(-1)!.text, 'select * from audit_events where seq = $1');

  // a read that takes a lock: the append goes first (lock order unchanged)
  const third = await recordingClient();
  await third.client.query('begin');
  await third.client.query('select 1');
  await third.client.query(LATER + AUDIT, ['c1', 'h0']);
  await third.client.query('select * from flows where id = $1 for update', ['f1']);
  assert.match(third.sent.at(-2)!.text, /^with head as /);
  assert.equal(third.sent.at(-1)!.text, 'select * from flows where id = $1 for update');
});
