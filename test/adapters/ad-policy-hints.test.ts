// The AD password write asks the domain controller to apply its password history and the other
// rules to a reset (LDAP_SERVER_POLICY_HINTS_OID, Windows Server 2012 and later) only when the
// server advertises the control in its root DSE. Samba, the real DC of the directory tests, does not
// advertise it, so the control is never sent there (test/directories/ad-*.test.ts write without it);
// here a client that records the requests stands in for a Windows DC, and the control's bytes are
// checked against MS-ADTS 3.1.1.3.4.1.33: SEQUENCE { Flags INTEGER 1 }, critical.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BerWriter, type Change, type Control } from 'ldapts';
import { adDialect, POLICY_HINTS_OID } from '../../src/adapters/directory/ad-dialect.ts';
import type { Connection } from '../../src/adapters/directory/ldap-connection.ts';
import type { DirectoryEntry } from '../../src/ports/external-directory.ts';

interface Modify {
  readonly dn: string;
  readonly change: Change;
  readonly controls: readonly Control[];
}

/** A connection whose root DSE lists `supportedControl`, recording every modify. */
function recording(supportedControl: string[]): { c: Connection; modifies: Modify[] } {
  const modifies: Modify[] = [];
  const client = {
    search: async (base: string) => {
      assert.equal(base, '', 'only the root DSE is read');
      return { searchEntries: [{ dn: '', supportedControl, defaultNamingContext: 'DC=example,DC=com' }] };
    },
    modify: async (dn: string, change: Change, controls: Control | Control[] = []) => {
      modifies.push({ dn, change, controls: Array.isArray(controls) ? controls : [controls] });
    },
  };
  return { c: { client, secure: true, url: 'ldaps://dc.example.com' } as unknown as Connection, modifies };
}

const entry = { dn: 'CN=Alice,OU=Staff,DC=example,DC=com' } as DirectoryEntry;

test('a DC that advertises the policy-hints control gets it, critical, on the unicodePwd replace only', async () => {
  const { c, modifies } = recording(['1.2.840.113556.1.4.319', POLICY_HINTS_OID]);
  await adDialect().writePassword(c, entry, 'Saffron-Glacier-Teapot-9', { mustChange: false });
  assert.deepEqual(
    modifies.map((m) => [m.dn, m.change.modification.type, m.controls.length]),
    [
      [entry.dn, 'unicodePwd', 1],
      [entry.dn, 'pwdLastSet', 0],
    ],
  );
  const control = modifies[0]!.controls[0]!;
  assert.deepEqual([control.type, control.critical], [POLICY_HINTS_OID, true]);
  const writer = new BerWriter();
  control.write(writer);
  const oid = Buffer.from(POLICY_HINTS_OID, 'latin1');
  assert.equal(
    writer.buffer.toString('hex'),
    Buffer.concat([
      Buffer.from([0x30, 2 + oid.length + 3 + 7, 0x04, oid.length]),
      oid,
      Buffer.from([0x01, 0x01, 0xff]), // criticality TRUE
      Buffer.from([0x04, 0x05, 0x30, 0x03, 0x02, 0x01, 0x01]), // value: SEQUENCE { INTEGER 1 }
    ]).toString('hex'),
  );
  const value = modifies[0]!.change.modification.values[0] as Buffer;
  assert.equal(value.toString('utf16le'), '"Saffron-Glacier-Teapot-9"');
});

test('a DC that does not advertise it (Samba) gets no control: a critical unknown one would fail every reset', async () => {
  const { c, modifies } = recording(['1.2.840.113556.1.4.319']);
  await adDialect().writePassword(c, entry, 'Saffron-Glacier-Teapot-9', { mustChange: true });
  assert.deepEqual(
    modifies.map((m) => [m.change.modification.type, m.controls.length]),
    [
      ['unicodePwd', 0],
      ['pwdLastSet', 0],
    ],
  );
  assert.deepEqual(modifies[1]!.change.modification.values, ['0'], 'a temporary password: must change at next logon');
});
