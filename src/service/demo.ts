import type { Role } from '../core/directory-model.ts';
import { checkPassword } from '../core/password-policy.ts';
import type { Random } from '../ports/random.ts';
import type { DirectoryService } from './directory-service.ts';

/**
 * The demo directory used by `sspr demo` and `sspr serve --demo`: one tenant, two administrators
 * and one user, each with an alternate email and a mobile phone, so a reset can be tried at once
 * (codes show up in the dev outbox). Idempotent: what already exists is left exactly as it is.
 */
export const DEMO_TENANT = { name: 'Contoso Demo', domain: 'contoso.example' } as const;

export interface DemoAccountSpec {
  readonly login: string;
  readonly displayName: string;
  readonly role: Role;
  readonly email: string;
  readonly phone: string;
}

export const DEMO_ACCOUNTS: readonly DemoAccountSpec[] = [
  {
    login: 'admin@contoso.example',
    displayName: 'Avery Admin',
    role: 'global_admin',
    email: 'admin@personal.example',
    phone: '+15555550101',
  },
  {
    login: 'admin2@contoso.example',
    displayName: 'Blake Admin',
    role: 'admin',
    email: 'admin2@personal.example',
    phone: '+15555550102',
  },
  {
    login: 'user@contoso.example',
    displayName: 'Casey User',
    role: 'user',
    email: 'user@personal.example',
    phone: '+15555550103',
  },
];

export interface DemoAccountCreated extends DemoAccountSpec {
  /** Shown once to whoever ran the setup; only its argon2id hash is stored. */
  readonly password: string;
}

export interface DemoOutcome {
  /** False when the demo tenant and every demo account already existed: nothing was changed. */
  readonly created: boolean;
  readonly tenantCreated: boolean;
  readonly accounts: readonly DemoAccountCreated[];
}

// no look-alikes (0/O, 1/l/I) so the password can be typed from a screen
const ALPHABET = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** Four groups of five characters from 56 symbols: about 116 bits. */
export function generateDemoPassword(random: Random, personal: readonly string[]): string {
  for (;;) {
    const groups: string[] = [];
    for (let g = 0; g < 4; g++) {
      let group = '';
      for (let i = 0; i < 5; i++) group += ALPHABET[random.intBelow(ALPHABET.length)];
      groups.push(group);
    }
    const password = groups.join('-');
    // a random draw could, very rarely, spell a personal word: draw again rather than store it
    if (checkPassword(password, { minLength: 15, personal }).ok) return password;
  }
}

/**
 * Creates whatever part of the demo directory is missing. Errors other than "already exists" are
 * bugs in the demo data or infrastructure problems and are thrown.
 */
export async function setupDemo(directory: DirectoryService, random: Random, actor: string): Promise<DemoOutcome> {
  let tenantCreated = false;
  const existing = await directory.getTenantByName(DEMO_TENANT.name);
  if (!existing.ok) {
    const created = await directory.createTenant({ name: DEMO_TENANT.name, domains: [DEMO_TENANT.domain], actor });
    if (!created.ok)
      throw new Error(`demo: cannot create tenant ${DEMO_TENANT.name}: ${created.error} ${created.detail ?? ''}`);
    tenantCreated = true;
  }
  const accounts: DemoAccountCreated[] = [];
  for (const spec of DEMO_ACCOUNTS) {
    if ((await directory.getUser(spec.login)).ok) continue;
    const password = generateDemoPassword(random, [spec.login, spec.displayName, DEMO_TENANT.name, spec.email]);
    const added = await directory.addUser({
      login: spec.login,
      displayName: spec.displayName,
      role: spec.role,
      password,
      actor,
    });
    if (!added.ok) throw new Error(`demo: cannot add ${spec.login}: ${added.error} ${added.detail ?? ''}`);
    for (const [kind, value] of [
      ['email', spec.email],
      ['phone', spec.phone],
    ] as const) {
      const set = await directory.setMethod({ login: spec.login, kind, value, actor });
      if (!set.ok) throw new Error(`demo: cannot set ${kind} of ${spec.login}: ${set.error}`);
    }
    accounts.push({ ...spec, password });
  }
  return { created: tenantCreated || accounts.length > 0, tenantCreated, accounts };
}
