// What the directory tests share: a tenant's directory settings on the test slapd or Samba DC,
// opening adapters that are closed after the file, and finding an entry that must exist.
import { after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  LdapDirectory,
  type LdapDialect,
  type LdapDirectorySettings,
} from '../../src/adapters/directory/ldap-directory.ts';
import type { DirectoryEntry } from '../../src/ports/external-directory.ts';
import { AD_ADMIN_DN, AD_TLS_NAME, type SambaDc } from './samba.ts';
import { PEOPLE_DN, POLICY_DN, SERVICE_DN, type Slapd } from './slapd.ts';

/**
 * A tenant's directory settings (the input `parseDirectorySettings` reads) on the test slapd: its
 * LDAPS URL and CA, the service account (its password in the environment variable `bindEnv`),
 * ou=people, the ppolicy entry, no scheduled sync. A test overrides what it is about.
 */
export function ldapSettings(
  slapd: Slapd,
  bindEnv: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    kind: 'ldap',
    urls: [slapd.ldapsUrl],
    caFile: slapd.caFile,
    bindDn: SERVICE_DN,
    bindPassword: `env:${bindEnv}`,
    baseDn: PEOPLE_DN,
    passwordPolicyDn: POLICY_DN,
    syncIntervalMinutes: 0,
    ...overrides,
  };
}

/** Adds a person under ou=people of the test slapd (inetOrgPerson `uid`, cn `name`, sn Example, the password). */
export function addLdapPerson(slapd: Slapd, p: { uid: string; name: string; password: string }): void {
  slapd.ldapmodify(
    [
      `dn: uid=${p.uid},${PEOPLE_DN}`,
      'changetype: add',
      'objectClass: inetOrgPerson',
      `uid: ${p.uid}`,
      `cn: ${p.name}`,
      'sn: Example',
      `userPassword: ${p.password}`,
      '',
    ].join('\n'),
  );
}

/**
 * A tenant's directory settings on the test Samba DC, in the test's OU: LDAPS with the DC's CA, the domain's
 * Administrator (its password in `bindEnv`), otherMailbox as the email, no scheduled sync.
 */
export function adSettings(
  dc: SambaDc,
  ou: string,
  bindEnv: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    kind: 'ad',
    urls: [dc.ldapsUrl],
    caFile: path.join(dc.dir, 'private', 'tls', 'ca.pem'),
    tlsServerName: AD_TLS_NAME,
    bindDn: AD_ADMIN_DN,
    bindPassword: `env:${bindEnv}`,
    baseDn: ou,
    emailAttribute: 'otherMailbox',
    syncIntervalMinutes: 0,
    ...overrides,
  };
}

/**
 * LDIF (for `dc.ldapmodify`) of the roles the AD adapter and sync tests give the people of their OU:
 * nested administrator groups (CN=Bob Admin ∈ helpdesk ∈ sspr-admins, the groups' sAMAccountNames
 * starting with `samPrefix`: unique in the domain), CN=Dave Disabled disabled (userAccountControl
 * 514) and CN=Erin Protected a protected account (adminCount=1).
 */
export function adRolesLdif(ou: string, samPrefix: string): string {
  const dn = (cn: string) => `CN=${cn},${ou}`;
  return [
    `dn: ${dn('helpdesk')}\nchangetype: add\nobjectClass: group\nsAMAccountName: ${samPrefix}helpdesk-${process.pid}\nmember: ${dn('Bob Admin')}\n`,
    `dn: ${dn('sspr-admins')}\nchangetype: add\nobjectClass: group\nsAMAccountName: ${samPrefix}sspr-admins-${process.pid}\nmember: ${dn('helpdesk')}\n`,
    `dn: ${dn('Dave Disabled')}\nchangetype: modify\nreplace: userAccountControl\nuserAccountControl: 514\n`,
    `dn: ${dn('Erin Protected')}\nchangetype: modify\nreplace: adminCount\nadminCount: 1\n`,
  ].join('\n');
}

/**
 * What `check` reports, step by step, for a service account delegated on an OU of the test Samba DC
 * (with a protected account in it): every step passes but Samba's missing policy-hints control and the
 * protected accounts, which are warnings. The adapter's check and `sspr directory check` say the same.
 */
export const AD_DELEGATED_CHECK_STEPS = {
  connect: 'pass',
  service_bind: 'pass',
  password_rules: 'pass',
  policy_hints: 'warn',
  protected_accounts: 'warn',
  test_account: 'pass',
  reset_right: 'pass',
  unlock_right: 'pass',
} as const;

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
