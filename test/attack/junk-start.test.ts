import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withMigratedPostgresDatabase } from '../helpers/databases.ts';
import { api, csrfIn, errorCode, PageClient, startAttackServer, type AttackServer } from './attack-kit.ts';

/**
 * A junk start costs as little as possible before it touches the database (issue 14, item 3): a
 * start without a CAPTCHA proof, or with one that is malformed, tampered with or signed by
 * another key, is refused before any statement reaches the database — through the JSON API and
 * the /reset form alike. A replayed proof needs the database (its single-use record) and is
 * refused there. Each statement the store sends is one round trip on PostgreSQL (`onQuery`).
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

async function withRecordedServer(
  env: Record<string, string>,
  fn: (
    kit: AttackServer,
    record: <T>(step: () => Promise<T>) => Promise<{ value: T; sent: string[] }>,
  ) => Promise<void>,
): Promise<void> {
  let log: string[] | null = null;
  const kit = await startAttackServer(env, { onQuery: (q) => log?.push(q) });
  const record = async <T>(step: () => Promise<T>) => {
    const sent: string[] = [];
    log = sent;
    try {
      return { value: await step(), sent };
    } finally {
      log = null;
    }
  };
  try {
    await fn(kit, record);
  } finally {
    await kit.close();
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
  test(`junk start: a missing or malformed CAPTCHA proof is refused without a database round trip (${backend})`, async () => {
    const run = async (env: Record<string, string>) =>
      withRecordedServer(env, async (kit, record) => {
        // another instance's keys: its proofs are well-formed and wrong here
        const other = await startAttackServer({}, { demo: false });
        let junk: Record<string, string | undefined>;
        try {
          junk = await junkProofs(kit, other);
        } finally {
          await other.close();
        }
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
        // a replayed proof: the single-use record refuses it (that one needs the database)
        const proof = await kit.captcha();
        const first = await api(kit.server, 'POST', 'start', {
          body: { login: 'nobody@contoso.example', altcha: proof },
        });
        assert.equal(first.status, 202, first.res.body);
        const replay = await record(() =>
          api(kit.server, 'POST', 'start', { body: { login: 'other@contoso.example', altcha: proof } }),
        );
        assert.equal(replay.value.status, 400);
        assert.equal(errorCode(replay.value), 'captcha_failed');
        assert.ok(replay.sent.length > 0, 'a replay is refused by the single-use record in the database');
        assert.ok(
          replay.sent.some((q) => /captcha/i.test(q)),
          `the replay reaches the CAPTCHA's record:\n${replay.sent.join('\n')}`,
        );
      });
    if (backend === 'SQLite') await run({});
    else await withMigratedPostgresDatabase((url) => run({ SSPR_DATABASE_URL: url }));
  });
}
