import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, apiStart, PageClient, PUBLIC_URL, startAttackServer, type AttackServer } from './attack-kit.ts';

/**
 * Host-header poisoning (GUIDE §6): links in emails are built from the configured public URL only,
 * whatever the Host, X-Forwarded-Host, X-Forwarded-Proto or Forwarded headers say, with and
 * without trust_proxy. Redirects and pages do not echo the forged host either.
 */
const EVIL = 'evil.attacker.example';
const FORGED: Record<string, string> = {
  host: EVIL,
  'x-forwarded-host': EVIL,
  'x-forwarded-proto': 'http',
  'x-forwarded-for': '203.0.113.66',
  'x-forwarded-port': '8443',
  forwarded: `for=203.0.113.66;host=${EVIL};proto=http`,
  'x-original-host': EVIL,
  'x-host': EVIL,
};

function urlsIn(text: string): string[] {
  return [...text.matchAll(/https?:\/\/[^\s"'<>)]+/g)].map((m) => m[0]);
}

async function poisonedResets(kit: AttackServer, label: string): Promise<void> {
  const user = kit.account('user@contoso.example');
  const admin = kit.account('admin@contoso.example');
  // API start, then a resend, all with forged headers
  const { handle } = await apiStart(kit, user.login, FORGED);
  const resend = await api(kit.server, 'POST', 'flow/resend', { flow: handle, body: {}, headers: FORGED });
  assert.ok([200, 429].includes(resend.status), `${label}: resend answered ${resend.status}`);
  // pages, with forged headers on every request
  const browser = new PageClient(kit.server, FORGED);
  const post = await browser.start(kit, admin.login);
  assert.equal(post.headers.location, '/reset/flow', `${label}: the redirect is relative, not to the forged host`);
  const page = await browser.get('/reset/flow');
  assert.equal(page.body.includes(EVIL), false, `${label}: the page does not echo the forged host`);

  await kit.deliver();
  const mails = kit.outbox().filter((m) => m.channel === 'email');
  assert.ok(mails.length >= 2, `${label}: emails were sent (${mails.length})`);
  let links = 0;
  for (const m of mails) {
    const all = `${m.subject ?? ''}\n${m.text}\n${m.html ?? ''}`;
    assert.equal(all.includes(EVIL), false, `${label}: the email to ${m.to} mentions the forged host`);
    for (const url of urlsIn(all)) {
      assert.ok(url.startsWith(`${PUBLIC_URL}/`), `${label}: link ${url} is not under ${PUBLIC_URL}`);
      if (url.includes('/reset/link?t=')) links++;
    }
  }
  assert.ok(links >= 2, `${label}: reset links were checked (${links})`);
}

test('host header: links use the public URL only, without trust_proxy', async () => {
  const kit = await startAttackServer();
  try {
    await poisonedResets(kit, 'no trust_proxy');
  } finally {
    await kit.close();
  }
});

test('host header: links use the public URL only, with trust_proxy trusting the (loopback) client', async () => {
  const kit = await startAttackServer({ SSPR_TRUST_PROXY: '127.0.0.1' });
  try {
    await poisonedResets(kit, 'trust_proxy=127.0.0.1');
  } finally {
    await kit.close();
  }
});
