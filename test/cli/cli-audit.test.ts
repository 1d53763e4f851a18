import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { assertExit, sspr, tempDataDir } from './run-sspr.ts';

/**
 * `sspr audit verify` against rows changed behind sspr's back with SQL (issue 13, item 7): each
 * kind of tampering is detected, named (event id, place, type) and told apart; exit 1. And the
 * retention purge leaves a signed checkpoint that verification starts from.
 */

interface Verdict {
  chain: string;
  tenant: string | null;
  ok: boolean;
  checked: number;
  last_seq: number;
  last_hash: string;
  checkpoint: { seq: number; removed: number } | null;
  broken: {
    kind: string;
    reason: string;
    eventId: number | null;
    seq: number | null;
    type: string | null;
    missing?: number;
  } | null;
}

const dirs: Array<{ cleanup(): void }> = [];
after(() => dirs.forEach((d) => d.cleanup()));

/** A data dir with tenant Contoso and five accounts: a chain of at least six events. */
async function contoso(): Promise<{
  dir: string;
  db: () => Database.Database;
  chain: () => Array<{ id: number; seq: number; type: string }>;
}> {
  const data = tempDataDir();
  dirs.push(data);
  assertExit(await sspr(data.dir, ['tenant', 'create', 'Contoso', '--domain', 'contoso.example']), 0, 'tenant create');
  for (const name of ['ada', 'grace', 'alan', 'edsger', 'barbara']) {
    assertExit(await sspr(data.dir, ['user', 'add', `${name}@contoso.example`, '--name', name]), 0, 'user add');
  }
  const db = () => new Database(path.join(data.dir, 'sspr.db'), { fileMustExist: true });
  const chain = () => {
    const d = db();
    try {
      return d
        .prepare(
          "select e.id, e.seq, e.type from audit_events e join tenants t on t.id = e.tenant_id where t.name = 'Contoso' order by e.seq, e.id",
        )
        .all() as Array<{ id: number; seq: number; type: string }>;
    } finally {
      d.close();
    }
  };
  return { dir: data.dir, db, chain };
}

function sql(db: Database.Database, text: string, ...params: unknown[]): void {
  try {
    db.prepare(text).run(...params);
  } finally {
    db.close();
  }
}

async function verify(dir: string, code: number): Promise<Verdict> {
  const r = await sspr(dir, ['audit', 'verify', '--tenant', 'Contoso', '--json']);
  assertExit(r, code, 'audit verify');
  const out = JSON.parse(r.stdout) as { chains: Verdict[] };
  assert.equal(out.chains.length, 1);
  return out.chains[0]!;
}

describe('sspr audit verify', () => {
  test('an untouched log verifies: exit 0, every chain OK with its final hash; the verdict is kept', async () => {
    const c = await contoso();
    const all = await sspr(c.dir, ['audit', 'verify']);
    assertExit(all, 0, 'audit verify');
    assert.match(all.stdout, /^OK {6}Contoso: \d+ event\(s\); final hash [0-9a-f]{64} \(place \d+\)$/m);
    const v = await verify(c.dir, 0);
    assert.equal(v.ok, true);
    assert.ok(v.checked >= 6, `checked ${v.checked}`);
    const d = c.db();
    try {
      const head = d
        .prepare("select h.* from audit_chain_heads h join tenants t on t.id = h.chain where t.name = 'Contoso'")
        .get() as { verified_at: number; verify_result: string | null; seq: number };
      assert.ok(head.verified_at > 0);
      assert.equal(head.verify_result, null);
      assert.equal(head.seq, v.last_seq + 1, 'the verification itself is the newest event (audit.verified)');
    } finally {
      d.close();
    }
  });

  test('UPDATE of one row’s details in SQL: exit 1, that event named as edited', async () => {
    const c = await contoso();
    const victim = c.chain()[2]!;
    sql(c.db(), `update audit_events set details = '{"role":"admin"}' where id = ?`, victim.id);
    const r = await sspr(c.dir, ['audit', 'verify', '--tenant', 'Contoso']);
    assertExit(r, 1, 'audit verify');
    assert.match(
      r.stdout,
      new RegExp(
        `^BROKEN  Contoso: edited: event ${victim.id} \\(place ${victim.seq}, ${victim.type.replace('.', '\\.')}, `,
        'm',
      ),
    );
    assert.match(r.stderr, /1 audit chain\(s\) broken/);
    const v = await verify(c.dir, 1);
    assert.deepEqual(
      [v.broken?.kind, v.broken?.reason, v.broken?.eventId, v.broken?.seq],
      ['edited', 'content_changed', victim.id, victim.seq],
    );
  });

  test('DELETE of one row: exit 1, named as deleted at the event after the gap, one missing', async () => {
    const c = await contoso();
    const rows = c.chain();
    sql(c.db(), 'delete from audit_events where id = ?', rows[2]!.id);
    const v = await verify(c.dir, 1);
    assert.deepEqual(
      [v.broken?.kind, v.broken?.reason, v.broken?.eventId, v.broken?.missing],
      ['deleted', 'gap', rows[3]!.id, 1],
    );
  });

  test('DELETE of the newest row: exit 1, the chain head still knows it', async () => {
    const c = await contoso();
    const rows = c.chain();
    sql(c.db(), 'delete from audit_events where id = ?', rows.at(-1)!.id);
    const v = await verify(c.dir, 1);
    assert.deepEqual(
      [v.broken?.kind, v.broken?.reason, v.broken?.eventId],
      ['deleted', 'tail_missing', rows.at(-2)!.id],
    );
  });

  test('INSERT of a forged row: exit 1, named as inserted', async () => {
    const c = await contoso();
    const tenantId = (c.db().prepare("select id from tenants where name = 'Contoso'").get() as { id: string }).id;
    const d = c.db();
    const forged = d
      .prepare(
        `insert into audit_events (at, tenant_id, account_id, actor, type, outcome, ip, user_agent, details)
         values (?, ?, null, 'admin:someone', 'admin.reset_link_sent', 'ok', '203.0.113.9', null, '{}')`,
      )
      .run(Date.now() - 60_000, tenantId).lastInsertRowid;
    d.close();
    const v = await verify(c.dir, 1);
    assert.deepEqual(
      [v.broken?.kind, v.broken?.reason, v.broken?.eventId],
      ['inserted', 'not_chained', Number(forged)],
    );
  });

  test('two rows swapped in order: exit 1, named as reordered', async () => {
    const c = await contoso();
    const rows = c.chain();
    const [a, b] = [rows[2]!, rows[3]!];
    const d = c.db();
    d.prepare('update audit_events set seq = ? where id = ?').run(b.seq, a.id);
    d.prepare('update audit_events set seq = ? where id = ?').run(a.seq, b.id);
    d.close();
    const v = await verify(c.dir, 1);
    assert.deepEqual(
      [v.broken?.kind, v.broken?.reason, v.broken?.eventId, v.broken?.seq],
      ['reordered', 'out_of_order', b.id, a.seq],
    );
  });

  test('a retention purge leaves a signed checkpoint: what remains verifies; a forged checkpoint does not', async () => {
    const c = await contoso();
    const before = c.chain().length;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const purge = await sspr(c.dir, ['purge', '--json'], { env: { SSPR_AUDIT_RETENTION_MS: '10' } });
    assertExit(purge, 0, 'purge');
    const removed = (JSON.parse(purge.stdout) as { deleted: { audit_events: number } }).deleted.audit_events;
    assert.equal(removed, before, 'every event older than the retention went');
    const left = c.chain();
    assert.deepEqual(
      left.map((r) => r.type),
      ['audit.purged'],
    );
    const v = await verify(c.dir, 0);
    assert.deepEqual(v.checkpoint?.seq, before);
    assert.equal(v.checkpoint?.removed, before);
    assert.equal(v.checked, 1);

    // someone hides a larger removal by editing the checkpoint: its signature no longer holds
    sql(c.db(), 'update audit_checkpoints set removed = removed + 5');
    const forged = await verify(c.dir, 1);
    assert.deepEqual([forged.broken?.kind, forged.broken?.reason], ['checkpoint', 'signature']);
  });

  test('an unknown tenant is refused; the command is in the help', async () => {
    const c = await contoso();
    const r = await sspr(c.dir, ['audit', 'verify', '--tenant', 'Nope']);
    assertExit(r, 1, 'audit verify --tenant Nope');
    assert.match(r.stderr, /tenant_not_found/);
    const help = await sspr(c.dir, ['audit', '--help']);
    assert.match(help.stdout, /verify/);
  });
});
