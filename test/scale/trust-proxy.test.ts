import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startAttackServer, solveCaptcha, type AttackServer } from '../attack/attack-kit.ts';

/**
 * Client addresses behind proxies (SSPR_TRUST_PROXY). The per-IP start limit is 3 here. From an
 * untrusted peer a rotating X-Forwarded-For buys nothing: the header is ignored and the peer's own
 * address is counted. From a configured proxy the client address it appends is used, and what
 * the client itself put in front of it is not believed either.
 */

const LIMIT = 3;

async function startFrom(kit: AttackServer, remoteAddress: string, forwardedFor: string | null): Promise<number> {
  const res = await kit.server.inject({
    method: 'POST',
    url: '/api/v1/reset/start',
    remoteAddress,
    headers: forwardedFor === null ? {} : { 'x-forwarded-for': forwardedFor },
    payload: { login: 'nobody@contoso.example', altcha: await solveCaptcha(kit.app) },
  });
  return res.statusCode;
}

async function auditedIps(kit: AttackServer): Promise<string[]> {
  const events = await kit.app.store.audit.list({ type: 'reset.requested', limit: 1000 });
  return events.map((e) => e.ip ?? 'null');
}

test('untrusted peer: a rotating X-Forwarded-For does not buy more starts, and is not recorded', async () => {
  const kit = await startAttackServer({ SSPR_TRUST_PROXY: '10.0.0.1', SSPR_START_LIMIT_PER_IP: String(LIMIT) });
  try {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 3; i++) statuses.push(await startFrom(kit, '203.0.113.9', `198.51.100.${i + 1}`));
    assert.deepEqual(statuses, [202, 202, 202, 429, 429, 429]);
    assert.deepEqual(new Set(await auditedIps(kit)), new Set(['203.0.113.9']), 'the peer address is what counts');
  } finally {
    await kit.close();
  }
});

test('no trusted proxy configured: X-Forwarded-For is ignored even from loopback', async () => {
  const kit = await startAttackServer({ SSPR_START_LIMIT_PER_IP: String(LIMIT) });
  try {
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT + 2; i++) statuses.push(await startFrom(kit, '127.0.0.1', `198.51.100.${i + 1}`));
    assert.deepEqual(statuses, [202, 202, 202, 429, 429]);
  } finally {
    await kit.close();
  }
});

test('trusted proxy: the real client address is used — per client, and a spoofed prefix is not believed', async () => {
  const kit = await startAttackServer({ SSPR_TRUST_PROXY: '10.0.0.1', SSPR_START_LIMIT_PER_IP: String(LIMIT) });
  try {
    // two clients behind the same proxy each get their own allowance
    const first: number[] = [];
    const second: number[] = [];
    for (let i = 0; i < LIMIT + 1; i++) first.push(await startFrom(kit, '10.0.0.1', '198.51.100.7'));
    for (let i = 0; i < LIMIT + 1; i++) second.push(await startFrom(kit, '10.0.0.1', '198.51.100.8'));
    assert.deepEqual(first, [202, 202, 202, 429]);
    assert.deepEqual(second, [202, 202, 202, 429]);
    // a client rotating its own X-Forwarded-For: the proxy appends the address it saw, and only that counts
    const spoofed: number[] = [];
    for (let i = 0; i < LIMIT + 1; i++)
      spoofed.push(await startFrom(kit, '10.0.0.1', `192.0.2.${i + 1}, 198.51.100.9`));
    assert.deepEqual(spoofed, [202, 202, 202, 429]);
    const ips = await auditedIps(kit);
    assert.deepEqual(new Set(ips), new Set(['198.51.100.7', '198.51.100.8', '198.51.100.9']), 'audit has client IPs');
  } finally {
    await kit.close();
  }
});
