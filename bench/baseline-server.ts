/**
 * The ceilings of the benchmark: `GET /bare` is a bare Fastify handler, `POST /insert` does one
 * SQLite insert (better-sqlite3, WAL, same pragmas as sspr) per request.
 *
 *   BASE_DB=/tmp/x.db node --import tsx bench/baseline-server.ts
 *
 * Prints `listening on http://127.0.0.1:<port>` once ready.
 */
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import Fastify from 'fastify';

const db = new Database(process.env.BASE_DB ?? ':memory:');
db.pragma('busy_timeout = 5000');
db.pragma('journal_mode = WAL');
db.pragma('foreign_keys = ON');
db.exec('CREATE TABLE IF NOT EXISTS events (id TEXT PRIMARY KEY, at INTEGER NOT NULL, payload TEXT NOT NULL)');
const insert = db.prepare('INSERT INTO events (id, at, payload) VALUES (?, ?, ?)');

const fastify = Fastify({ logger: false });
fastify.get('/bare', async () => ({ ok: true }));
fastify.post('/insert', async (request) => {
  insert.run(randomUUID(), Date.now(), JSON.stringify(request.body ?? null));
  return { ok: true };
});

const address = await fastify.listen({ host: '127.0.0.1', port: Number(process.env.BASE_PORT ?? '0') });
process.stdout.write(`listening on ${address}\n`);

async function stop(): Promise<void> {
  await fastify.close();
  db.close();
  process.exit(0);
}
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
