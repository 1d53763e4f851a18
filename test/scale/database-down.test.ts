import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { HTTP_ERRORS } from '../../src/http/errors.ts';
import {
  api,
  apiStart,
  codeIn,
  csrfIn,
  errorCode,
  newest,
  startAttackServer,
  type AttackServer,
} from '../attack/attack-kit.ts';
import { createPostgresDatabase } from '../helpers/databases.ts';
import { sleep, startPgProxy } from './scale-kit.ts';

/**
 * PostgreSQL stops answering (a TCP proxy in front of it cuts every connection and refuses new
 * ones): /readyz goes red, requests get a clear 503 (JSON and page), transactions cut mid-way
 * leave nothing half-written, and everything works again once the database is back.
 */

test('PostgreSQL down: /readyz 503, requests 503 with a clear page, nothing half-written, recovery on its own', async () => {
  const db = await createPostgresDatabase();
  const proxy = await startPgProxy();
  const direct = new pg.Client({ connectionString: db.url });
  let kit: AttackServer | undefined;
  try {
    const name = new URL(db.url).pathname.slice(1);
    kit = await startAttackServer({ SSPR_DATABASE_URL: proxy.url(name), SSPR_START_LIMIT_PER_IP: '1000' });
    await direct.connect();
    const { handle } = await apiStart(kit, 'user@contoso.example');
    await kit.deliver();
    const right = codeIn(newest(kit, 'user@personal.example').text);
    assert.equal((await kit.server.inject({ url: '/readyz' })).statusCode, 200);
    const form = await kit.server.inject({ url: '/reset', headers: { accept: 'text/html' } });
    const cookie = form.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const altcha = await kit.captcha();

    await proxy.down();

    const ready = await kit.server.inject({ url: '/readyz' });
    assert.equal(ready.statusCode, 503);
    const json = await api(kit.server, 'POST', 'flow/code', { flow: handle, body: { code: right } });
    assert.equal(json.status, 503, JSON.stringify(json.body));
    assert.equal(errorCode(json), 'service_unavailable');
    const page = await kit.server.inject({
      method: 'POST',
      url: '/reset',
      headers: { accept: 'text/html', cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ login: 'user@contoso.example', altcha, _csrf: csrfIn(form.body) }).toString(),
    });
    assert.equal(page.statusCode, 503);
    assert.match(String(page.headers['content-type']), /text\/html/);
    assert.ok(page.body.includes(HTTP_ERRORS.service_unavailable.title), 'the page says the service is unavailable');
    assert.ok(!/ECONNREFUSED|Error:|at .*\.ts/.test(page.body), 'no internals on the page');

    await proxy.up();
    assert.equal(
      (await kit.server.inject({ url: '/readyz' })).statusCode,
      200,
      'ready again once the database is back',
    );

    // the database dies under 40 starts in flight
    const logins = Array.from({ length: 40 }, (_, i) =>
      i % 8 === 0 ? 'admin2@contoso.example' : `nobody${i}@contoso.example`,
    );
    const captchas = await Promise.all(logins.map(() => kit!.captcha()));
    let answered = 0;
    const inFlight = Promise.all(
      logins.map(async (login, i) => {
        const answer = await api(kit!.server, 'POST', 'start', { body: { login, altcha: captchas[i] } });
        answered++;
        return answer;
      }),
    );
    // cut once a few have committed, with the rest in flight
    for (let i = 0; i < 2_000 && answered < 5; i++) await sleep(1);
    const answeredBeforeCut = answered;
    await proxy.down();
    const answers = await inFlight;
    await proxy.up();
    const accepted = answers.filter((a) => a.status === 202).map((a) => String(a.body.flowId));
    const failed = answers.filter((a) => a.status === 503).length;
    const others = answers
      .filter((a) => a.status !== 202 && a.status !== 503)
      .map((a) => `${a.status} ${JSON.stringify(a.body)}`);
    assert.deepEqual(others, [], 'each start either succeeded or answered 503');

    const flows = await direct.query<{ id: string; deliverable: number; requested: string; codes: string }>(
      `select f.id, f.deliverable,
              (select count(*) from audit_events e
                where e.type = 'reset.requested' and e.details like '%"flow":"' || substr(f.id, 1, 8) || '"%') as requested,
              (select count(*) from flow_codes c where c.flow_id = f.id) as codes
         from flows f where f.id <> $1`,
      [handle.flowId],
    );
    for (const f of flows.rows) {
      assert.equal(Number(f.requested), 1, `flow ${f.id.slice(0, 4)}…: its audit event committed with it`);
      if (f.deliverable === 1) assert.equal(Number(f.codes), 1, 'a deliverable flow has its code');
    }
    const ids = new Set(flows.rows.map((f) => f.id));
    for (const id of accepted) assert.ok(ids.has(id), 'every 202 is a stored flow');
    console.log(
      `[database-down] 40 starts, database cut after ${answeredBeforeCut} answers: ${accepted.length} answered 202, ${failed} answered 503; ` +
        `${flows.rows.length} flows stored, each whole`,
    );

    // the flow from before the outage goes on
    const ok = await api(kit.server, 'POST', 'flow/code', { flow: handle, body: { code: right } });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
  } finally {
    await kit?.close();
    await direct.end().catch(() => {});
    await proxy.close();
    await db.drop();
  }
});
