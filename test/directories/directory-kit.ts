// What the directory adapter tests share: opening adapters that are closed after the file, and
// finding an entry that must exist.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import {
  LdapDirectory,
  type LdapDialect,
  type LdapDirectorySettings,
} from '../../src/adapters/directory/ldap-directory.ts';
import type { DirectoryEntry } from '../../src/ports/external-directory.ts';

/** The connection settings every test starts from; a test overrides what it is about. */
export const CONNECTION_DEFAULTS = { startTls: false, timeoutMs: 5_000, poolSize: 2, allowInsecure: false } as const;

/** A factory of adapters on one server, each closed when the file's tests end (register before the server's own after()). */
export function directoryFactory(
  base: () => LdapDirectorySettings,
  dialect: () => LdapDialect,
): (overrides?: Partial<LdapDirectorySettings>) => LdapDirectory {
  const opened: LdapDirectory[] = [];
  after(() => Promise.all(opened.map((d) => d.close())));
  return (overrides = {}) => {
    const d = new LdapDirectory({ ...base(), ...overrides }, dialect());
    opened.push(d);
    return d;
  };
}

/** The entry a login names, failing the test with the directory's answer when there is none. */
export async function findEntry(d: LdapDirectory, login: string): Promise<DirectoryEntry> {
  const r = await d.findByLogin(login);
  assert.ok(r.ok, `findByLogin ${login}: ${!r.ok && r.error} ${!r.ok && r.detail}`);
  assert.ok(r.value, `${login} found`);
  return r.value;
}
