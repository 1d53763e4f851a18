import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { chainHash, type ChainedEvent } from '../../src/core/audit-chain.ts';
import { NO_REQUEST } from '../../src/service/request-context.ts';
import { withMigratedPostgresDatabase } from '../helpers/databases.ts';
import { apiStart, startAttackServer, type AttackServer } from './attack-kit.ts';

/**
 * Attack: a database row edited under the audit chain (issue 13). Someone with write access to
 * the database (not to sspr's keys) rewrites the audit row that shows where a reset came from.
 * `sspr audit verify` (AuditChainService.verify) names the row, whether or not the attacker also
 * recomputed its hash with the public algorithm. What the chain cannot catch: rewriting the whole
 * chain from that row to the head — only a final hash kept outside the database shows that.
 */

interface Sql {
  rows<T>(text: string, ...params: unknown[]): Promise<T[]>;
  run(text: string, ...params: unknown[]): Promise<void>;
  close(): Promise<void>;
}

/** Raw SQL on the app's database, as the attacker has it ($1, $2 … placeholders). */
async function rawSql(url: string): Promise<Sql> {
  if (url.startsWith('sqlite:')) {
    const db = new Database(url.slice('sqlite:'.length), { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    const q = (text: string) => db.prepare(text.replace(/\$\d+/g, '?'));
    return {
      rows: async <T>(text: string, ...params: unknown[]) => q(text).all(...params) as T[],
      run: async (text, ...params) => void q(text).run(...params),
      close: async () => void db.close(),
    };
  }
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    rows: async <T>(text: string, ...params: unknown[]) => (await client.query(text, params)).rows as T[],
    run: async (text, ...params) => void (await client.query(text, params)),
    close: () => client.end(),
  };
}

interface Row {
  id: number;
  seq: number;
  tenant_id: string;
  at: number;
  account_id: string | null;
  actor: string;
  type: string;
  outcome: string;
  ip: string | null;
  user_agent: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

const asEvent = (r: Row): ChainedEvent => ({
  at: Number(r.at),
  tenantId: r.tenant_id,
  accountId: r.account_id,
  actor: r.actor,
  type: r.type,
  outcome: r.outcome,
  ip: r.ip,
  userAgent: r.user_agent,
  details: JSON.parse(r.details) as ChainedEvent['details'],
});

async function scenario(kit: AttackServer): Promise<void> {
  const login = kit.accounts[0]!.login;
  for (const ip of ['198.51.100.7', '198.51.100.8', '198.51.100.9']) {
    await apiStart(kit, login, { 'x-forwarded-for': ip });
  }
  const account = await kit.app.store.directory.findAccountByLogin(login);
  const tenantId = account!.tenantId;
  const verify = async () => (await kit.app.auditChain.verify(tenantId, 'test', NO_REQUEST))[0]!.result;

  const clean = await verify();
  assert.equal(clean.ok, true, JSON.stringify(clean.broken));
  const exportedFinalHash = (await kit.app.auditChain.status(tenantId))!.hash; // kept outside the database

  const sql = await rawSql(kit.app.config.database_url);
  try {
    const resets = await sql.rows<Row>(
      `select * from audit_events where tenant_id = $1 and type = 'reset.requested' order by seq`,
      tenantId,
    );
    assert.equal(resets.length, 3);
    const victim = resets[1]!;
    assert.equal(victim.ip, '198.51.100.8', 'the row shows where the second reset came from');

    // 1. the attacker hides where the second reset came from
    await sql.run(`update audit_events set ip = $1 where id = $2`, '10.0.0.1', victim.id);
    let result = await verify();
    assert.equal(result.ok, false);
    assert.deepEqual(
      [result.broken?.kind, result.broken?.reason, result.broken?.eventId, result.broken?.type],
      ['edited', 'content_changed', Number(victim.id), 'reset.requested'],
    );

    // 2. and recomputes the row's hash, as anyone can: the next event still links to the old one
    const edited = { ...asEvent(victim), ip: '10.0.0.1' };
    await sql.run(`update audit_events set hash = $1 where id = $2`, chainHash(victim.prev_hash, edited), victim.id);
    result = await verify();
    assert.deepEqual(
      [result.broken?.kind, result.broken?.reason, result.broken?.eventId],
      ['edited', 'hash_rewritten', Number(victim.id)],
    );
    const recorded = await kit.app.auditChain.status(tenantId);
    assert.equal(recorded?.broken?.eventId, Number(victim.id), 'the console shows the break');

    // 3. the limit: rewriting every later row and the head makes the chain consistent again;
    // only the final hash exported before tells
    const later = await sql.rows<Row>(
      `select * from audit_events where tenant_id = $1 and seq >= $2 order by seq`,
      tenantId,
      victim.seq,
    );
    let prev = victim.prev_hash;
    for (const r of later) {
      const e = Number(r.id) === Number(victim.id) ? edited : asEvent(r);
      const hash = chainHash(prev, e);
      await sql.run(`update audit_events set prev_hash = $1, hash = $2 where id = $3`, prev, hash, r.id);
      prev = hash;
    }
    await sql.run(`update audit_chain_heads set hash = $1 where chain = $2`, prev, tenantId);
    result = await verify();
    assert.equal(result.ok, true, 'a whole rewritten chain is consistent: documented in docs/security.md');
    assert.notEqual(
      (await sql.rows<Row>(`select * from audit_events where tenant_id = $1 and seq = $2`, tenantId, victim.seq))[0]!
        .hash,
      victim.hash,
    );
    assert.notEqual(prev, exportedFinalHash, 'the final hash kept elsewhere no longer matches the chain');
  } finally {
    await sql.close();
  }
}

describe('attack: a database row edited under the audit chain', () => {
  test('SQLite: the edit is named, with or without a recomputed hash', async () => {
    const kit = await startAttackServer({ SSPR_TRUST_PROXY: 'loopback' });
    try {
      await scenario(kit);
    } finally {
      await kit.close();
    }
  });

  test('PostgreSQL: the edit is named, with or without a recomputed hash', async () => {
    await withMigratedPostgresDatabase(async (url) => {
      const kit = await startAttackServer({ SSPR_DATABASE_URL: url, SSPR_TRUST_PROXY: 'loopback' });
      try {
        await scenario(kit);
      } finally {
        await kit.close();
      }
    });
  });
});
