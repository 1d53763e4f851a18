import assert from 'node:assert/strict';
import { test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { tempSqliteUrl, withMigratedPostgresDatabase } from '../helpers/databases.ts';
import { queryRecorder } from '../helpers/query-recorder.ts';
import { api, csrfIn, errorCode, PageClient, startAttackServer, type AttackServer } from './attack-kit.ts';

/**
 * A junk start costs as little as possible before it touches the database (issue 14, item 3): a
 * start without a CAPTCHA proof, or with one that is malformed, tampered with or signed by
 * another key, is refused before any statement reaches the database — through the JSON API and
 * the /reset form alike. A replayed proof is refused by its single-use record in the database,
 * and by the instance's memory of it once that instance saw it used: a replay loop costs no
 * database work. Each statement the store sends is one round trip on PostgreSQL (`onQuery`).
 */

/** A valid payload with one character of its challenge's signature changed. */
function tampered(payload: string): string {
  const parsed = JSON.parse(Buffer.from(payload, 'base64').toString('utf8')) as {
    challenge: { signature: string };
  };
  const s = parsed.challenge.signature;
  parsed.challenge.signature = (s[0] === 'a' ? 'b' : 'a') + s.slice(1);
  return Buffer.from(JSON.stringify(parsed)).toString('base64');
}

/** Runs `run` on a fresh database of `backend` (a temp SQLite file, or a migrated PostgreSQL copy), removed after. */
async function onBackend(backend: 'SQLite' | 'PostgreSQL', run: (databaseUrl: string) => Promise<void>): Promise<void> {
  if (backend === 'PostgreSQL') return withMigratedPostgresDatabase(run);
  const sqlite = tempSqliteUrl();
  try {
    await run(sqlite.url);
  } finally {
    sqlite.cleanup();
  }
}

async function junkProofs(kit: AttackServer, other: AttackServer): Promise<Record<string, string | undefined>> {
  return {
    missing: undefined,
    empty: '',
    'not base64 JSON': 'not-a-proof',
    'JSON without a challenge': Buffer.from('{"solution":{"counter":1}}').toString('base64'),
    'signature tampered with': tampered(await kit.captcha()),
    'signed by another key': await other.captcha(),
  };
}

for (const backend of ['SQLite', 'PostgreSQL'] as const) {
  test(`junk start: a missing, malformed or replayed CAPTCHA proof is refused without a database round trip (${backend})`, async () => {
    const run = async (databaseUrl: string) => {
      const { onQuery, record } = queryRecorder();
      // two instances of one deployment (one database, one key), and one of another (its own key)
      const env = { SSPR_DATABASE_URL: databaseUrl, SSPR_SECRET_KEY: randomBytes(32).toString('base64') };
      const kit = await startAttackServer(env, { onQuery });
      const twin = await startAttackServer(env, { onQuery, demo: false });
      const other = await startAttackServer({}, { demo: false });
      try {
        const junk = await junkProofs(kit, other);
        for (const [what, altcha] of Object.entries(junk)) {
          const body =
            altcha === undefined ? { login: 'nobody@contoso.example' } : { login: 'nobody@contoso.example', altcha };
          const { value, sent } = await record(() => api(kit.server, 'POST', 'start', { body }));
          assert.equal(value.status, 400, `${what}: ${value.res.body}`);
          if (altcha !== undefined) assert.equal(errorCode(value), 'captcha_failed', what);
          assert.deepEqual(sent, [], `API, ${what}: no statement reaches the database`);
        }
        // the /reset form: the same refusal, the start page again, no statement either
        const browser = new PageClient(kit.server);
        const token = csrfIn((await browser.get('/reset')).body);
        for (const [what, altcha] of Object.entries(junk)) {
          const form: Record<string, string> = { login: 'nobody@contoso.example', _csrf: token };
          if (altcha !== undefined) form.altcha = altcha;
          const { value, sent } = await record(() => browser.post('/reset', form));
          assert.equal(value.statusCode, 400, `form, ${what}: ${value.statusCode}`);
          assert.deepEqual(sent, [], `form, ${what}: no statement reaches the database`);
        }
        // a proof used once: its replay on the same instance is refused before the database; on
        // the other instance of the deployment the single-use record refuses it, and from then on
        // that instance too refuses it before the database
        const proof = await kit.captcha();
        const replay = { login: 'other@contoso.example', altcha: proof };
        const first = await api(kit.server, 'POST', 'start', {
          body: { login: 'nobody@contoso.example', altcha: proof },
        });
        assert.equal(first.status, 202, first.res.body);
        const again = await record(() => api(kit.server, 'POST', 'start', { body: replay }));
        assert.equal(again.value.status, 400);
        assert.equal(errorCode(again.value), 'captcha_failed');
        assert.deepEqual(again.sent, [], 'a replay on the instance that recorded the use: no statement');
        const elsewhere = await record(() => api(twin.server, 'POST', 'start', { body: replay }));
        assert.equal(elsewhere.value.status, 400, elsewhere.value.res.body);
        assert.equal(errorCode(elsewhere.value), 'captcha_failed');
        assert.ok(
          elsewhere.sent.some((q) => /captcha_used/i.test(q)),
          `on the other instance the replay reaches the single-use record:\n${elsewhere.sent.join('\n')}`,
        );
        const twice = await record(() => api(twin.server, 'POST', 'start', { body: replay }));
        assert.equal(errorCode(twice.value), 'captcha_failed');
        assert.deepEqual(twice.sent, [], 'a replay the other instance has refused once: no statement');
      } finally {
        await other.close();
        await twin.close();
        await kit.close();
      }
    };
    await onBackend(backend, run);
  });
}

for (const backend of ['SQLite', 'PostgreSQL'] as const) {
  test(`junk start: once the per-IP limit refused an address, its starts are refused without a database round trip within the window (${backend})`, async () => {
    const run = async (databaseUrl: string) => {
      const { onQuery, record } = queryRecorder();
      const env = {
        SSPR_DATABASE_URL: databaseUrl,
        SSPR_SECRET_KEY: randomBytes(32).toString('base64'),
        SSPR_START_LIMIT_PER_IP: '2',
        SSPR_TRUST_PROXY: '127.0.0.1',
      };
      const kit = await startAttackServer(env, { onQuery });
      const twin = await startAttackServer(env, { onQuery, demo: false });
      try {
        const start = (server: AttackServer, login: string, ip = '198.51.100.7') =>
          record(async () =>
            api(server.server, 'POST', 'start', {
              body: { login, altcha: await kit.captcha() },
              headers: { 'x-forwarded-for': ip },
            }),
          );
        for (const login of ['a@contoso.example', 'b@contoso.example']) {
          const { value } = await start(kit, login);
          assert.equal(value.status, 202, value.res.body);
        }
        const third = await start(kit, 'c@contoso.example');
        assert.equal(third.value.status, 429, 'the shared limit refuses the third');
        assert.ok(third.sent.length > 0, 'that refusal came from the shared count (the database)');
        const retryAfter = Number(third.value.res.headers['retry-after']);
        const fourth = await start(kit, 'nobody@contoso.example');
        assert.equal(fourth.value.status, 429);
        assert.equal(errorCode(fourth.value), 'rate_limited');
        assert.deepEqual(fourth.sent, [], 'refused again from memory: no statement');
        assert.ok(Number(fourth.value.res.headers['retry-after']) <= retryAfter, 'within the same window');
        // the other instance knows nothing yet: the shared count refuses it there, once
        const elsewhere = await start(twin, 'd@contoso.example');
        assert.equal(elsewhere.value.status, 429, 'the count is shared');
        assert.ok(elsewhere.sent.length > 0);
        const elsewhereAgain = await start(twin, 'e@contoso.example');
        assert.equal(elsewhereAgain.value.status, 429);
        assert.deepEqual(elsewhereAgain.sent, []);
        // another address is not affected
        const other = await start(kit, 'f@contoso.example', '203.0.113.9');
        assert.equal(other.value.status, 202, 'another address is not refused');
      } finally {
        await twin.close();
        await kit.close();
      }
    };
    await onBackend(backend, run);
  });
}
