// Builds each tenant's directory adapter from its stored settings and keeps it (its connection
// pool) open between requests: the secret is read from the environment or a file and the CA file
// from disk here, at the edge; the settings in the database only name them.
import { readFile } from 'node:fs/promises';
import type { DirectorySettings, SecretRef } from '../../core/directory-settings.ts';
import { err, ok, type Result } from '../../core/result.ts';
import type { DirectoryOpenError, DirectoryProvider } from '../../ports/directory-provider.ts';
import type { ExternalDirectory } from '../../ports/external-directory.ts';
import type { Logger } from '../../ports/logger.ts';
import type { DirectoryRepo } from '../../ports/store.ts';
import { adDialect } from './ad-dialect.ts';
import { LdapDirectory, type LdapDirectorySettings } from './ldap-directory.ts';
import { openLdapDialect } from './openldap-dialect.ts';

/** Reads a secret reference: `env:NAME` or `file:/path` (the trailing newline removed). */
export async function readSecret(
  ref: SecretRef,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<Result<string, DirectoryOpenError>> {
  if (ref.startsWith('env:')) {
    const name = ref.slice(4);
    const value = env[name];
    return value
      ? ok(value)
      : err(
          'directory_misconfigured',
          `bindPassword: the environment variable ${name} is not set for the sspr process`,
        );
  }
  const path = ref.slice(5);
  try {
    const value = (await readFile(path, 'utf8')).replace(/\r?\n$/, '');
    return value ? ok(value) : err('directory_misconfigured', `bindPassword: the file ${path} is empty`);
  } catch (e) {
    return err('directory_misconfigured', `bindPassword: cannot read ${path} (${(e as NodeJS.ErrnoException).code})`);
  }
}

/** The adapter's settings from the tenant's: the secret and the CA file read. */
export async function adapterSettings(
  s: DirectorySettings,
  env?: Readonly<Record<string, string | undefined>>,
): Promise<Result<LdapDirectorySettings, DirectoryOpenError>> {
  const password = await readSecret(s.bindPassword, env);
  if (!password.ok) return password;
  let caPem: string | null = null;
  if (s.caFile) {
    try {
      caPem = await readFile(s.caFile, 'utf8');
    } catch (e) {
      return err('directory_misconfigured', `caFile: cannot read ${s.caFile} (${(e as NodeJS.ErrnoException).code})`);
    }
  }
  return ok({
    urls: s.urls,
    startTls: s.startTls,
    caPem,
    tlsServerName: s.tlsServerName,
    bindDn: s.bindDn,
    bindPassword: password.value,
    timeoutMs: s.timeoutMs,
    poolSize: s.poolSize,
    allowInsecure: s.allowInsecure,
    baseDn: s.baseDn,
    userFilter: s.userFilter,
    attributes: s.attributes,
    adminGroups: s.adminGroups,
    passwordPolicyDn: s.passwordPolicyDn,
    disabledAttribute: s.disabledAttribute,
  });
}

/** An adapter for settings (not cached): the check of settings not saved yet uses this too. */
export async function openDirectory(
  s: DirectorySettings,
  env?: Readonly<Record<string, string | undefined>>,
): Promise<Result<ExternalDirectory, DirectoryOpenError>> {
  const settings = await adapterSettings(s, env);
  if (!settings.ok) return settings;
  return ok(new LdapDirectory(settings.value, s.kind === 'ad' ? adDialect() : openLdapDialect));
}

interface Cached {
  readonly updatedAt: number;
  readonly directory: ExternalDirectory;
}

export class CachedDirectoryProvider implements DirectoryProvider {
  readonly #open = new Map<string, Cached>();
  readonly #warned = new Set<string>();

  constructor(
    private readonly d: {
      readonly directory: Pick<DirectoryRepo, 'getTenantDirectory'>;
      readonly log?: Logger;
      readonly env?: Readonly<Record<string, string | undefined>>;
    },
  ) {}

  async forTenant(tenantId: string): Promise<Result<ExternalDirectory | null, DirectoryOpenError>> {
    const stored = await this.d.directory.getTenantDirectory(tenantId);
    const cached = this.#open.get(tenantId);
    if (!stored) {
      if (cached) await this.invalidate(tenantId);
      return ok(null);
    }
    // another instance (or the CLI) may have changed the settings: the stored time tells
    if (cached && cached.updatedAt === stored.updatedAt) return ok(cached.directory);
    if (cached) await this.invalidate(tenantId);
    const opened = await openDirectory(stored.settings, this.d.env);
    if (!opened.ok) return opened;
    if (stored.settings.allowInsecure && !this.#warned.has(tenantId)) {
      this.#warned.add(tenantId);
      this.d.log?.warn(
        { tenantId, event: 'directory.insecure' },
        'directory password operations allowed over plain LDAP (allowInsecure): a lab setting, never production',
      );
    }
    this.#open.set(tenantId, { updatedAt: stored.updatedAt, directory: opened.value });
    return ok(opened.value);
  }

  open(settings: DirectorySettings): Promise<Result<ExternalDirectory, DirectoryOpenError>> {
    return openDirectory(settings, this.d.env);
  }

  async invalidate(tenantId: string): Promise<void> {
    const cached = this.#open.get(tenantId);
    this.#open.delete(tenantId);
    await cached?.directory.close();
  }

  async close(): Promise<void> {
    const all = [...this.#open.values()];
    this.#open.clear();
    await Promise.all(all.map((c) => c.directory.close()));
  }
}
