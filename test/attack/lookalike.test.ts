import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api, apiStart, errorCode, startAttackServer } from './attack-kit.ts';

/**
 * Unicode look-alike identifiers (GUIDE §6): a login that only LOOKS like the admin's must not
 * reach the admin's flow, while compatibility forms (NFKC) of the same login are the same person.
 */
test('look-alikes: Cyrillic "а" does not reach the admin; full-width ａｄｍｉｎ is the admin (NFKC), through the API', async () => {
  const kit = await startAttackServer();
  try {
    const adminAlt = kit.account('admin@contoso.example').email;
    const toAdmin = () => kit.outbox().filter((m) => m.to === adminAlt);
    const admin = await kit.app.store.directory.findAccountByLogin('admin@contoso.example');
    assert.ok(admin);

    // U+0430 CYRILLIC SMALL LETTER A in place of the Latin "a"
    const cyrillic = '\u0430dmin@contoso.example';
    assert.notEqual(cyrillic, 'admin@contoso.example');
    const c = await apiStart(kit, cyrillic);
    await kit.deliver();
    assert.equal(toAdmin().length, 0, 'no message reached the admin for a Cyrillic look-alike');
    const cFlow = await kit.app.store.flows.get(c.handle.flowId);
    assert.equal(cFlow?.accountId, null, 'the look-alike flow is not bound to the admin account');
    assert.equal(cFlow?.deliverable, false);

    // other look-alikes that must not be folded onto the admin either
    for (const lookalike of [
      'adm\u0131n@contoso.example', // dotless ı
      'admin@c\u043entoso.example', // Cyrillic о in the domain
      'admin@contoso.\u0435xample', // Cyrillic е in the TLD
      'admin\u200b@contoso.example', // zero-width space (refused or unknown, never the admin)
    ]) {
      const answer = await api(kit.server, 'POST', 'start', {
        body: { login: lookalike, altcha: await kit.captcha() },
      });
      assert.ok([202, 400].includes(answer.status), `${JSON.stringify(lookalike)} → ${answer.status}`);
      if (answer.status === 202) {
        const f = await kit.app.store.flows.get(String(answer.body.flowId));
        assert.equal(f?.accountId, null, `${JSON.stringify(lookalike)} must not resolve to the admin`);
      } else {
        assert.equal(errorCode(answer), 'login_invalid', `${JSON.stringify(lookalike)} is refused as a login`);
      }
    }
    await kit.deliver();
    assert.equal(toAdmin().length, 0, 'no look-alike reached the admin');

    // full-width Latin letters: NFKC folds them to ASCII, the same account
    const fullWidth = '\uff41\uff44\uff4d\uff49\uff4e@contoso.example';
    const f = await apiStart(kit, fullWidth);
    await kit.deliver();
    const fFlow = await kit.app.store.flows.get(f.handle.flowId);
    assert.equal(fFlow?.accountId, admin.id, 'full-width login is the admin account');
    assert.equal(toAdmin().length, 1, 'the admin got exactly one message (from the full-width start)');
    assert.equal(
      (f.answer.body.flow as { maskedEmail: string }).maskedEmail.endsWith('@personal.example'),
      true,
      'the flow shows the admin’s real (masked) alternate email',
    );
  } finally {
    await kit.close();
  }
});
