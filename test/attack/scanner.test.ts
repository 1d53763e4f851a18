import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csrfIn, linkTokenIn, newest, PageClient, startAttackServer } from './attack-kit.ts';

/**
 * Mail scanners prefetch links (GUIDE §2 "GET only shows a Continue page"): GET and HEAD of the
 * email link, without the flow cookie and with the user agents of common scanners, consume
 * nothing, and even a scanner that submits the Continue form (it has no flow cookie) burns
 * nothing. Afterwards the link still works from the browser that started the reset.
 */
const SCANNERS = [
  'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17126; Pro)',
  'Mozilla/5.0 (compatible; Barracuda Sentinel)',
  'Mimecast-URL-Protect/1.0',
  'Proofpoint URL Defense',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'curl/8.5.0',
];

test('scanner: GET/HEAD/POST of the email link from scanners consume nothing; the bound browser then continues', async () => {
  const kit = await startAttackServer();
  try {
    const user = kit.account('user@contoso.example');
    const browser = new PageClient(kit.server);
    await browser.start(kit, user.login);
    const handle = browser.flow();
    assert.ok(handle);
    await kit.deliver();
    const token = linkTokenIn(newest(kit, user.email).text);
    const url = `/reset/link?t=${token}`;

    const state = async () => ({
      flow: await kit.app.store.flows.get(handle.flowId),
      code: await kit.app.store.flows.liveCode(handle.flowId, 'email'),
    });
    const before = await state();
    assert.equal(before.code?.usedAt, null);

    for (const ua of SCANNERS) {
      for (const method of ['GET', 'HEAD'] as const) {
        const res = await kit.server.inject({ method, url, headers: { 'user-agent': ua, accept: 'text/html,*/*' } });
        assert.equal(res.statusCode, 200, `${method} by ${ua}`);
        assert.equal(
          res.cookies.some((c) => c.name.endsWith('sspr_flow')),
          false,
          `${method} by ${ua} sets no flow cookie`,
        );
        assert.equal(res.headers['referrer-policy'], 'no-referrer', 'the token never leaks through Referer');
        assert.equal(res.headers['cache-control'], 'no-store');
        if (method === 'GET') assert.match(res.body, /Continue/);
      }
      // a scanner that also "clicks" Continue: it has the page's CSRF cookie and token, not the flow cookie
      const scanner = new PageClient(kit.server, { 'user-agent': ua });
      const page = await scanner.get(url);
      const post = await scanner.post('/reset/link', { t: token, _csrf: csrfIn(page.body) });
      assert.equal(post.statusCode, 403, `Continue posted by ${ua} without the flow cookie → 403`);
      assert.match(post.body, /Open this link in the browser where you started/);
      assert.deepEqual(await state(), before, `nothing changed after ${ua}`);
    }
    // the person's own browser opening the link: GET still changes nothing
    const page = await browser.get(url);
    assert.equal(page.statusCode, 200);
    assert.deepEqual(await state(), before, 'GET from the bound browser changes nothing either');

    // Continue from the bound browser consumes the link
    const done = await browser.post('/reset/link', { t: token, _csrf: csrfIn(page.body) });
    assert.equal(done.statusCode, 303);
    assert.equal(done.headers.location, '/reset/flow', 'redirects to a URL without the token');
    const after = await state();
    assert.equal(after.flow?.state, 'new_password', 'the email gate passed');
    const flow = await browser.get('/reset/flow');
    assert.match(flow.body, /<h1>Choose a new password<\/h1>/);

    // and now it is used: a replay from the same browser is refused
    const replayPage = await browser.get(url);
    const replay = await browser.post('/reset/link', { t: token, _csrf: csrfIn(replayPage.body) });
    assert.notEqual(replay.statusCode, 303, 'a used link does not work twice');
  } finally {
    await kit.close();
  }
});

test('scanner: the API link endpoint without the flow secret answers wrong_browser and burns nothing', async () => {
  const kit = await startAttackServer();
  try {
    const user = kit.account('user@contoso.example');
    const browser = new PageClient(kit.server);
    await browser.start(kit, user.login);
    const handle = browser.flow();
    assert.ok(handle);
    await kit.deliver();
    const token = linkTokenIn(newest(kit, user.email).text);
    for (const ua of SCANNERS) {
      const res = await kit.server.inject({
        method: 'POST',
        url: '/api/v1/reset/link',
        headers: { 'user-agent': ua, 'content-type': 'application/json' },
        payload: { token },
      });
      assert.equal(res.statusCode, 403);
      assert.equal((JSON.parse(res.body) as { error: { code: string } }).error.code, 'wrong_browser');
    }
    assert.equal((await kit.app.store.flows.liveCode(handle.flowId, 'email'))?.usedAt, null, 'the link is unused');
    const page = await browser.get(`/reset/link?t=${token}`);
    const done = await browser.post('/reset/link', { t: token, _csrf: csrfIn(page.body) });
    assert.equal(done.statusCode, 303);
    assert.equal((await kit.app.store.flows.get(handle.flowId))?.state, 'new_password');
  } finally {
    await kit.close();
  }
});
