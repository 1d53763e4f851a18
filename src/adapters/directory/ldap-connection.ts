// Connections to an LDAP server (OpenLDAP or AD) for the directory adapters: several URLs tried in
// order, ldaps:// or StartTLS with the tenant's CA, a small pool of service-account connections,
// and every answer turned into a classified refusal. Password operations over plain LDAP are refused
// unless the lab override is on.
import { Client, ResultCodeError } from 'ldapts';
import { checkServerIdentity, type ConnectionOptions } from 'node:tls';
import { classifyDirectoryAnswer, type DirectoryRefusal } from '../../core/directory-rules.ts';
import { err, ok, type Result } from '../../core/result.ts';

export interface LdapConnectionSettings {
  /** Tried in order: the first that connects (and upgrades to TLS when asked) serves the operation. */
  readonly urls: readonly string[];
  /** Upgrade ldap:// connections with StartTLS (ldaps:// is TLS from the start). */
  readonly startTls: boolean;
  /** PEM of the CA that signs the servers' certificates; null: the system's CAs. */
  readonly caPem: string | null;
  /** The name the certificate must carry when the URL's host is not it (e.g. Samba's `dc.sspr.test`). */
  readonly tlsServerName?: string | null;
  readonly bindDn: string;
  readonly bindPassword: string;
  /** Connect and per-operation timeout. */
  readonly timeoutMs: number;
  /** Idle service-account connections kept open. */
  readonly poolSize: number;
  /** Lab only: allow password operations over plain LDAP. A warning is logged by the caller. */
  readonly allowInsecure: boolean;
}

/** A refusal with its diagnostic for the audit log. */
export type Refused = Extract<Result<never, DirectoryRefusal>, { ok: false }>;

/** The LDAP result code of a server's answer; null for a transport failure. */
export function resultCode(e: unknown): number | null {
  return e instanceof ResultCodeError ? e.code : null;
}

export function refusalOf(e: unknown): Refused {
  if (e instanceof ResultCodeError) {
    const diagnostic = `LDAP ${e.code}: ${e.message}`;
    return err(classifyDirectoryAnswer({ code: e.code, message: e.message }), diagnostic);
  }
  const message = e instanceof Error ? `${(e as NodeJS.ErrnoException).code ?? e.name}: ${e.message}` : String(e);
  return err('unreachable', message);
}

export interface Connection {
  readonly client: Client;
  /** Whether the connection is encrypted (ldaps:// or after StartTLS). */
  readonly secure: boolean;
  readonly url: string;
}

export class LdapConnector {
  readonly #s: LdapConnectionSettings;
  readonly #idle: Connection[] = [];
  #closed = false;

  constructor(settings: LdapConnectionSettings) {
    if (settings.urls.length === 0) throw new Error('at least one directory URL is needed');
    this.#s = settings;
  }

  #tls(url: URL): ConnectionOptions {
    return {
      ...(this.#s.caPem ? { ca: [this.#s.caPem] } : {}),
      servername: this.#s.tlsServerName ?? (/^[\d.]+$|:/.test(url.hostname) ? undefined : url.hostname),
      ...(this.#s.tlsServerName ? { checkServerIdentity: tlsIdentity(this.#s.tlsServerName) } : {}),
      minVersion: 'TLSv1.2',
    };
  }

  /**
   * Opens a connection on the first URL that answers; binds it when a DN is given. Without a bind the
   * connection is made (and TLS negotiated) by reading the root DSE, so a wrong certificate shows here.
   */
  async open(bind?: { dn: string; password: string }): Promise<Result<Connection, DirectoryRefusal>> {
    let last: Refused = err('unreachable', 'no URL tried');
    for (const raw of this.#s.urls) {
      const url = new URL(raw);
      const ldaps = url.protocol === 'ldaps:';
      const client = new Client({
        url: raw,
        timeout: this.#s.timeoutMs,
        connectTimeout: this.#s.timeoutMs,
        strictDN: false,
        ...(ldaps ? { tlsOptions: this.#tls(url) } : {}),
      });
      let secure = ldaps;
      try {
        if (!ldaps && this.#s.startTls) {
          await client.startTLS(this.#tls(url));
          secure = true;
        }
      } catch (e) {
        await client.unbind().catch(() => undefined);
        last = refusalOf(e);
        continue; // the next URL
      }
      if (!bind) {
        try {
          await client.search('', { scope: 'base', attributes: ['1.1'] });
        } catch (e) {
          const r = refusalOf(e);
          if (r.error === 'unreachable') {
            await client.unbind().catch(() => undefined);
            last = r;
            continue;
          }
          // the server answered (an anonymous read may be refused): the connection works
        }
      }
      if (bind) {
        try {
          await client.bind(bind.dn, bind.password);
        } catch (e) {
          await client.unbind().catch(() => undefined);
          const r = refusalOf(e);
          if (r.error === 'unreachable') {
            last = r;
            continue;
          }
          return r; // the server answered: another server would answer the same
        }
      }
      return ok({ client, secure, url: raw });
    }
    return last;
  }

  /** Runs `fn` on a service-account connection from the pool (opened and bound when none is idle). */
  async withService<T>(
    fn: (c: Connection) => Promise<Result<T, DirectoryRefusal>>,
    options: { password?: boolean } = {},
  ): Promise<Result<T, DirectoryRefusal>> {
    let conn = this.#idle.pop();
    if (!conn || !conn.client.isConnected) {
      const opened = await this.open({ dn: this.#s.bindDn, password: this.#s.bindPassword });
      // a refused service-account bind is the admin's to fix (wrong secret, disabled or locked account)
      if (!opened.ok && opened.error !== 'unreachable' && opened.error !== 'tls_required')
        return err('not_allowed', `service account bind refused (${opened.error}): ${opened.detail ?? ''}`);
      if (!opened.ok) return opened;
      conn = opened.value;
    }
    if (options.password && !conn.secure && !this.#s.allowInsecure) {
      this.#release(conn);
      return err('tls_required', `refused: password operation over plain LDAP (${conn.url}); use ldaps:// or StartTLS`);
    }
    let healthy = true;
    try {
      const r = await fn(conn);
      if (!r.ok && r.error === 'unreachable') healthy = false;
      return r;
    } catch (e) {
      const r = refusalOf(e);
      if (r.error === 'unreachable') healthy = false;
      return r;
    } finally {
      if (healthy) this.#release(conn);
      else await conn.client.unbind().catch(() => undefined);
    }
  }

  /** Binds a fresh connection as the person (never pooled): proves their password. */
  async bindAs(dn: string, password: string): Promise<Result<void, DirectoryRefusal>> {
    // an empty password is an unauthenticated bind (RFC 4513 §5.1.2), which succeeds: never send one
    if (password.length === 0) return err('wrong_password', 'empty password not sent');
    const opened = await this.open();
    if (!opened.ok) return opened;
    const conn = opened.value;
    try {
      if (!conn.secure && !this.#s.allowInsecure)
        return err('tls_required', `refused: password bind over plain LDAP (${conn.url}); use ldaps:// or StartTLS`);
      await conn.client.bind(dn, password);
      return ok(undefined);
    } catch (e) {
      return refusalOf(e);
    } finally {
      await conn.client.unbind().catch(() => undefined);
    }
  }

  #release(conn: Connection): void {
    if (!this.#closed && this.#idle.length < this.#s.poolSize && conn.client.isConnected) this.#idle.push(conn);
    else void conn.client.unbind().catch(() => undefined);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const idle = this.#idle.splice(0);
    await Promise.all(idle.map((c) => c.client.unbind().catch(() => undefined)));
  }
}

/** Checks the certificate against a configured name instead of the URL's host. */
function tlsIdentity(name: string): NonNullable<ConnectionOptions['checkServerIdentity']> {
  return (_host, cert) => checkServerIdentity(name, cert);
}
