import type { Clock } from '../ports/clock.ts';
import type { DirectoryProvider } from '../ports/directory-provider.ts';
import type { DirectoryPasswordRules, ExternalDirectoryKind } from '../ports/external-directory.ts';
import type { Logger } from '../ports/logger.ts';
import type { Metrics } from '../ports/metrics.ts';
import type { DirectoryRepo } from '../ports/store.ts';
import { DirectoryPasswords } from './directory-passwords.ts';

/** How long one tenant's directory may take to answer the readiness probe. */
export const DIRECTORY_PROBE_TIMEOUT_MS = 2_000;
/** How long a report is reused: `/readyz` polled every second asks each directory at most this often. */
export const DIRECTORY_REPORT_TTL_MS = 5_000;

/** One tenant's directory as `/readyz` reports it. */
export interface DirectoryHealthEntry {
  readonly tenant: string;
  readonly kind: ExternalDirectoryKind;
  /** ok: it answered; unreachable: no server answered in time; refused: it answered with a refusal (rights, TLS); misconfigured: its settings cannot be used. */
  readonly status: 'ok' | 'unreachable' | 'refused' | 'misconfigured';
}

export interface DirectoryHealthDeps {
  readonly directories: DirectoryProvider;
  readonly directory: Pick<DirectoryRepo, 'listTenants' | 'getTenantDirectory'>;
  readonly clock: Clock;
  readonly metrics?: Metrics;
  readonly log?: Logger;
  readonly timeoutMs?: number;
  readonly ttlMs?: number;
}

/**
 * What the consoles and `/readyz` ask of each tenant's directory. Whether it answers, for `/readyz`: a service bind and one base read (the
 * password rules), bounded by a short timeout, all tenants at once, the report reused for a few
 * seconds. A directory that is down concerns its tenant only, so it never fails the instance's
 * readiness (a load balancer would take every tenant's resets away for one tenant's directory):
 * the body says which tenant's directory is down, the log has the diagnostic.
 */
export class DirectoryHealth {
  #cached: { readonly at: number; readonly report: readonly DirectoryHealthEntry[] } | null = null;
  #pending: Promise<readonly DirectoryHealthEntry[]> | null = null;

  constructor(private readonly d: DirectoryHealthDeps) {}

  /**
   * The password rules of the tenant's directory (cached per tenant, as the reset page reads them),
   * for the consoles; null for a tenant that keeps its passwords in sspr, or when the directory
   * cannot say.
   */
  async passwordRules(tenantId: string): Promise<DirectoryPasswordRules | null> {
    const opened = await this.d.directories.forTenant(tenantId);
    if (!opened.ok || !opened.value) return null;
    return new DirectoryPasswords(this.d).rules(opened.value);
  }

  async report(): Promise<readonly DirectoryHealthEntry[]> {
    const now = this.d.clock.now();
    if (this.#cached && now - this.#cached.at < (this.d.ttlMs ?? DIRECTORY_REPORT_TTL_MS)) return this.#cached.report;
    this.#pending ??= this.probeAll().finally(() => {
      this.#pending = null;
    });
    return this.#pending;
  }

  private async probeAll(): Promise<readonly DirectoryHealthEntry[]> {
    const tenants = await this.d.directory.listTenants();
    const entries = await Promise.all(
      tenants.map(async (t): Promise<DirectoryHealthEntry | null> => {
        const stored = await this.d.directory.getTenantDirectory(t.id);
        if (!stored) return null;
        return { tenant: t.name, kind: stored.settings.kind, status: await this.probe(t.id, stored.settings.kind) };
      }),
    );
    const report = entries.filter((e): e is DirectoryHealthEntry => e !== null);
    this.#cached = { at: this.d.clock.now(), report };
    return report;
  }

  private async probe(tenantId: string, kind: ExternalDirectoryKind): Promise<DirectoryHealthEntry['status']> {
    const started = this.d.clock.now();
    let status: DirectoryHealthEntry['status'] = 'unreachable';
    let diagnostic = '';
    try {
      const opened = await this.d.directories.forTenant(tenantId);
      if (!opened.ok || !opened.value) {
        status = 'misconfigured';
        diagnostic = opened.ok ? 'no directory' : (opened.detail ?? opened.error);
        return status;
      }
      const directory = opened.value;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), this.d.timeoutMs ?? DIRECTORY_PROBE_TIMEOUT_MS);
      });
      const answer = await Promise.race([directory.passwordRules(), timeout]).finally(() => clearTimeout(timer));
      if (answer === 'timeout') {
        diagnostic = 'no answer within the readiness timeout';
      } else if (answer.ok) {
        status = 'ok';
      } else {
        status = answer.error === 'unreachable' ? 'unreachable' : 'refused';
        diagnostic = `${answer.error}: ${answer.detail ?? ''}`;
      }
      return status;
    } catch (e) {
      diagnostic = e instanceof Error ? e.message : String(e);
      return status;
    } finally {
      this.d.metrics?.directoryOperation?.(kind, 'health', status, (this.d.clock.now() - started) / 1000);
      if (status !== 'ok')
        this.d.log?.warn(
          { event: 'directory.health', tenantId, kind, status, diagnostic },
          `directory of tenant ${tenantId} is ${status}`,
        );
    }
  }
}
