import type { Account } from '../core/directory-model.ts';
import { isLoggedRefusal } from '../core/directory-refusals.ts';
import type { DirectoryRefusal } from '../core/directory-rules.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { Clock } from '../ports/clock.ts';
import type { DirectoryProvider } from '../ports/directory-provider.ts';
import type {
  DirectoryEntry,
  DirectoryPasswordRules,
  DirectoryResult,
  ExternalDirectory,
} from '../ports/external-directory.ts';
import type { Logger } from '../ports/logger.ts';
import type { Metrics } from '../ports/metrics.ts';
import type { Repos } from '../ports/store.ts';
import { appendAudit, type RequestContext } from './request-context.ts';

/** How long a tenant's password rules are kept (read again after that). */
export const RULES_TTL_MS = 5 * 60_000;
/** How long "the rules could not be read" is kept, so a down directory is not asked on every page. */
export const RULES_FAILED_TTL_MS = 30_000;

/** A directory account's entry, found by its stable id (renames followed), and its tenant's directory. */
export interface DirectoryTarget {
  readonly directory: ExternalDirectory;
  readonly entry: DirectoryEntry;
}

interface CachedRules {
  readonly at: number;
  readonly rules: DirectoryPasswordRules | null;
}

// Per tenant: keyed by the tenant's open adapter, which the provider keeps while the settings stay
// the same and replaces when they change (so changed settings start with an empty cache). A
// tenant's accounts share one policy in the common case; an account with its own (an OpenLDAP
// pwdPolicySubentry, an AD fine-grained policy) is still held to it by the directory's answer.
const rulesCache = new WeakMap<ExternalDirectory, CachedRules>();

export interface DirectoryPasswordsDeps {
  readonly directories?: DirectoryProvider;
  readonly clock: Clock;
  readonly metrics?: Metrics;
  readonly log?: Logger;
}

/**
 * A directory account's password, where the directory keeps it: finding the entry, the rules the
 * directory applies (cached per tenant), the write itself, and what a refusal leaves behind for the
 * administrator (the audit event `directory.write_refused` with the diagnostic, the log line, the
 * metric). Never a password in any of them.
 */
export class DirectoryPasswords {
  constructor(private readonly d: DirectoryPasswordsDeps) {}

  /**
   * The directory that holds the account's password: null for an account sspr keeps (no external
   * id, or its tenant has no directory any more). A refusal when the directory cannot be asked.
   */
  async target(account: Account): Promise<Result<DirectoryTarget | null, DirectoryRefusal>> {
    if (account.externalId === null || !this.d.directories) return ok(null);
    const opened = await this.d.directories.forTenant(account.tenantId);
    if (!opened.ok) return err('rejected', `the directory settings cannot be used: ${opened.detail ?? opened.error}`);
    const directory = opened.value;
    if (!directory) return ok(null);
    const found = await this.timed(directory, 'find', () => directory.getById(account.externalId!));
    if (!found.ok) return found;
    if (!found.value) return err('rejected', `no directory entry has the id ${account.externalId}`);
    return ok({ directory, entry: found.value });
  }

  /** The rules the tenant's directory applies; null when it could not say (the write still tells). */
  async rules(directory: ExternalDirectory, entry?: DirectoryEntry): Promise<DirectoryPasswordRules | null> {
    const now = this.d.clock.now();
    const cached = rulesCache.get(directory);
    if (cached && now - cached.at < (cached.rules ? RULES_TTL_MS : RULES_FAILED_TTL_MS)) return cached.rules;
    const read = await this.timed(directory, 'rules', () => directory.passwordRules(entry));
    if (!read.ok) this.logRefusal(directory, 'rules', read.error, read.detail);
    const rules = read.ok ? read.value : null;
    rulesCache.set(directory, { at: now, rules });
    return rules;
  }

  /** The rules of the account's directory, or null (sspr keeps the password, or the directory cannot say). */
  async rulesOf(account: Account): Promise<DirectoryPasswordRules | null> {
    if (account.externalId === null || !this.d.directories) return null;
    const opened = await this.d.directories.forTenant(account.tenantId);
    if (!opened.ok || !opened.value) return null;
    return this.rules(opened.value);
  }

  /** Writes the password as the service account (the adapter: RFC 3062 + ppolicy, or unicodePwd + hints). */
  write(target: DirectoryTarget, password: string, mustChange: boolean): Promise<DirectoryResult<void>> {
    return this.timed(target.directory, 'set_password', () =>
      target.directory.setPassword(target.entry, password, { mustChange }),
    );
  }

  /** What a refusal leaves for the administrator: an audit event with the diagnostic, and the log for the operator. */
  async recordRefusal(
    tx: Pick<Repos, 'audit'>,
    e: {
      readonly account: Account;
      readonly directory: ExternalDirectory | null;
      readonly refusal: DirectoryRefusal;
      readonly diagnostic: string | undefined;
      readonly path: string;
      readonly actor: string;
      readonly rc: RequestContext | null;
    },
  ): Promise<void> {
    await appendAudit(tx, {
      at: this.d.clock.now(),
      tenantId: e.account.tenantId,
      accountId: e.account.id,
      actor: e.actor,
      rc: e.rc,
      type: 'directory.write_refused',
      outcome: e.refusal,
      details: {
        refusal: e.refusal,
        diagnostic: (e.diagnostic ?? '').slice(0, 500),
        path: e.path,
        kind: e.directory?.kind ?? null,
      },
    });
    if (e.directory) this.logRefusal(e.directory, 'set_password', e.refusal, e.diagnostic, e.account.tenantId);
  }

  private logRefusal(
    directory: ExternalDirectory,
    operation: string,
    refusal: DirectoryRefusal,
    diagnostic: string | undefined,
    tenantId?: string,
  ): void {
    if (!isLoggedRefusal(refusal)) return;
    this.d.log?.warn(
      { event: 'directory.refused', kind: directory.kind, operation, refusal, diagnostic, tenantId },
      `directory ${operation} refused: ${refusal}`,
    );
  }

  /** One directory call, counted by kind, operation and outcome (ok or the refusal), and timed. */
  private async timed<T>(
    directory: ExternalDirectory,
    operation: string,
    call: () => Promise<DirectoryResult<T>>,
  ): Promise<DirectoryResult<T>> {
    const started = this.d.clock.now();
    let outcome = 'error';
    try {
      const r = await call();
      outcome = r.ok ? 'ok' : r.error;
      return r;
    } finally {
      this.d.metrics?.directoryOperation?.(directory.kind, operation, outcome, (this.d.clock.now() - started) / 1000);
    }
  }
}
