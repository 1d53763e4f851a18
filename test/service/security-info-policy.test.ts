import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  isReconfirmDue,
  isUsableForReset,
  kindsDueForReconfirm,
  usableFromAfterChange,
} from '../../src/core/security-info-policy.ts';

// The pure rules behind the security info service (src/core/security-info-policy.ts), at their edges.

const T = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('security info rules', () => {
  test('cooling-off only when a verified value is replaced by another', () => {
    const policy = { coolingOffHours: 24 };
    const cases: [string, { value: string; verifiedAt: number | null } | null, string, number | null][] = [
      ['first registration', null, 'b@x.example', null],
      ['replacing an unverified pre-fill', { value: 'a@x.example', verifiedAt: null }, 'b@x.example', null],
      ['re-confirming the same value', { value: 'a@x.example', verifiedAt: T - DAY }, 'a@x.example', null],
      ['replacing a verified value', { value: 'a@x.example', verifiedAt: T - DAY }, 'b@x.example', T + 24 * HOUR],
    ];
    for (const [what, previous, next, expected] of cases) {
      assert.equal(usableFromAfterChange(policy, previous, next, T), expected, what);
    }
    assert.equal(
      usableFromAfterChange({ coolingOffHours: 0 }, { value: 'a', verifiedAt: T }, 'b', T),
      null,
      'a tenant may turn it off',
    );
  });

  test('usable from exactly usable_from (t − 1 ms: not yet)', () => {
    assert.equal(isUsableForReset(null, T), true);
    assert.equal(isUsableForReset(undefined, T), true);
    assert.equal(isUsableForReset(T, T - 1), false);
    assert.equal(isUsableForReset(T, T), true);
    assert.equal(isUsableForReset(T, T + 1), true);
  });

  test('re-confirmation due from exactly reconfirmDays after verification; never for unverified methods', () => {
    const policy = { reconfirmDays: 180 };
    const verifiedAt = T - 180 * DAY;
    assert.equal(isReconfirmDue(policy, verifiedAt + 1, T), false, 't − 1 ms');
    assert.equal(isReconfirmDue(policy, verifiedAt, T), true, 't');
    assert.equal(isReconfirmDue(policy, verifiedAt - 1, T), true, 't + 1 ms');
    assert.equal(isReconfirmDue(policy, null, T), false);
    assert.equal(isReconfirmDue({ reconfirmDays: 0 }, T - 1000 * DAY, T), false, '0 turns it off');
    assert.deepEqual(
      kindsDueForReconfirm(
        policy,
        [
          { kind: 'phone', verifiedAt: T - 200 * DAY },
          { kind: 'email', verifiedAt: T - 10 * DAY },
        ],
        T,
      ),
      ['phone'],
    );
  });
});
