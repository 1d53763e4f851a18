import { actorDescription, actorName, actorTenant, type ChangeActor, type Denial } from '../core/admin-rules.ts';
import {
  canChangeDirectorySettings,
  canReadDirectorySettings,
  changedSettingNames,
  secretRefAllowedFor,
  tenantSecretPlaces,
} from '../core/directory-admin-rules.ts';
import { isAdminRole, type Tenant } from '../core/directory-model.ts';
import { asGiven, checkStep, checkVerdict, said, type DirectoryCheckReport } from '../core/directory-rules.ts';
import {
  parseDirectorySettings,
  settingsInvalid,
  settingsProblem,
  type DirectoryKind,
  type DirectorySettings,
  type SettingsInvalid,
} from '../core/directory-settings.ts';
import { noticePhrase, renderEmail, type NoticeWords } from '../core/message-templates.ts';
import { err, ok, type Ok, type Result } from '../core/result.ts';
import type { Clock } from '../ports/clock.ts';
import type { DirectoryProvider } from '../ports/directory-provider.ts';
import type { Repos, Store } from '../ports/store.ts';
import { auditDenied } from './admin-common.ts';
import { cleanName } from './directory-input.ts';
import { enqueueEmail, type MessageQueueDeps } from './message-queue.ts';
import { appendAudit, type RequestContext } from './request-context.ts';
import { messageLanguage } from './message-language.ts';

/**
 * A tenant's directory settings (`builtin`, `ldap`, `ad`) as the command line, the admin console
 * and the admin API see and change them, and the check before the first reset. The secret is only
 * ever its reference (`env:NAME`, `file:/path`): never read here, never shown, never audited.
 *
 * - set: parsed by `parseDirectorySettings` (every problem named, one per line); audited
 *   `directory.settings_changed` with the NAMES of the settings that changed; every other enabled
 *   administrator of the tenant is told by email; the open adapter is dropped (`invalidate`).
 * - remove: back to `builtin`; audited `directory.settings_removed`, told the same way.
 * - check: the saved settings (who may read), or settings not saved yet (the console's "Run
 *   check" before Save: who may change, since they may send the saved secret to another server);
 *   audited `directory.checked` with the verdict.
 *
 * Who may: `core/directory-admin-rules.ts` (the command line always; tenant admins read and check,
 * global admins change; API keys by scope). From the console and the API a secret reference must
 * name the tenant's own place (`tenantSecretPlaces`): the check sends the secret to the settings'
 * URLs, so any other variable or file of the process must stay out of a tenant's reach.
 */
export interface DirectorySettingsDeps extends MessageQueueDeps {
  readonly store: Pick<Store, 'transaction' | 'directory' | 'audit'>;
  readonly directories: DirectoryProvider;
  readonly clock: Clock;
  readonly outbox: { wake(): void };
}

export interface DirectorySettingsView {
  readonly tenantId: string;
  readonly tenantName: string;
  readonly kind: DirectoryKind;
  /** Null for `builtin`. The bind password is its reference only (the settings never hold a secret). */
  readonly settings: DirectorySettings | null;
  readonly updatedAt: number | null;
  /** Where the installation puts this tenant's secret so its administrators may name it (console hint). */
  readonly secretPlaces: { readonly envPrefix: string; readonly folder: string };
}

export type DirectorySettingsError = Denial | 'tenant_not_found' | 'invalid_directory_settings';
export type DirectoryCheckError = DirectorySettingsError | 'directory_not_configured';
/** Refused settings carry each problem (`SettingsInvalid.problems`) for the reader's language. */
type Refusal<E extends string> = Result<never, Exclude<E, 'invalid_directory_settings'>> | SettingsInvalid;

export interface SetOutcome {
  readonly settings: DirectorySettings;
  /** Names of the settings that changed; empty: nothing was written. */
  readonly changed: readonly string[];
  readonly created: boolean;
}

export interface RemoveOutcome {
  /** False when the tenant already kept its passwords in sspr. */
  readonly removed: boolean;
  /** Accounts that came from the directory: they have no password in sspr until they reset it. */
  readonly directoryAccounts: number;
}

export interface CheckOutcome {
  readonly report: DirectoryCheckReport;
  /** True when the checked settings are the saved ones. */
  readonly saved: boolean;
  readonly settings: DirectorySettings;
}

export class DirectorySettingsService {
  constructor(private readonly d: DirectorySettingsDeps) {}

  /** The tenant a command line names (its name or its id). */
  async tenantNamed(nameOrId: string): Promise<Result<Tenant, 'tenant_not_found'>> {
    const clean = cleanName(nameOrId);
    const tenant =
      clean === null
        ? null
        : ((await this.d.store.directory.findTenantByName(clean)) ??
          (/^[0-9a-f-]{36}$/i.test(clean) ? await this.d.store.directory.getTenant(clean) : null));
    return tenant
      ? ok(tenant)
      : err('tenant_not_found', `There is no tenant "${nameOrId.slice(0, 100)}"; see them with: sspr tenant list`);
  }

  async get(actor: ChangeActor, tenantId: string): Promise<Result<DirectorySettingsView, DirectorySettingsError>> {
    const denial = canReadDirectorySettings(actor, tenantId);
    if (denial) return err(denial);
    const tenant = await this.d.store.directory.getTenant(tenantId);
    if (!tenant) return err('tenant_not_found');
    const stored = await this.d.store.directory.getTenantDirectory(tenantId);
    return ok({
      tenantId,
      tenantName: tenant.name,
      kind: stored?.settings.kind ?? 'builtin',
      settings: stored?.settings ?? null,
      updatedAt: stored?.updatedAt ?? null,
      secretPlaces: tenantSecretPlaces(tenantId),
    });
  }

  /**
   * Saves the settings given as a plain object (`parseDirectorySettings`'s input: the API's JSON,
   * the CLI's flags, the console's form). An empty `bindPassword` keeps the saved reference.
   */
  async set(
    actor: ChangeActor,
    tenantId: string,
    input: Readonly<Record<string, unknown>>,
    rc: RequestContext,
  ): Promise<Ok<SetOutcome> | Refusal<DirectorySettingsError>> {
    const denial = canChangeDirectorySettings(actor, tenantId);
    if (denial) return this.denied(actor, tenantId, 'directory.set', denial, rc);
    const tenant = await this.d.store.directory.getTenant(tenantId);
    if (!tenant) return err('tenant_not_found');
    const stored = await this.d.store.directory.getTenantDirectory(tenantId);
    const parsed = this.parse(actor, tenantId, input, stored?.settings ?? null);
    if (!parsed.ok) return parsed;
    const settings = parsed.value;
    const changed = changedSettingNames(stored?.settings ?? null, settings);
    if (changed.length === 0) return ok({ settings, changed, created: false });
    const created = stored === null;
    const now = this.d.clock.now();
    await this.d.store.transaction(async (tx) => {
      await tx.directory.setTenantDirectory(tenantId, settings, now);
      await appendAudit(tx, {
        at: now,
        tenantId,
        accountId: null,
        actor: actorName(actor),
        type: 'directory.settings_changed',
        outcome: 'ok',
        rc,
        details: {
          kind: settings.kind,
          previousKind: stored?.settings.kind ?? 'builtin',
          fields: changed.join(' '),
          allowInsecure: settings.allowInsecure,
        },
      });
      const what = created
        ? noticePhrase('email.phrase.directoryConnected', { kind: settings.kind, urls: settings.urls.join(', ') })
        : noticePhrase('email.phrase.directoryChanged', { fields: changed.join(', ') });
      await this.notifyAdmins(tx, actor, tenantId, what, now);
    });
    await this.d.directories.invalidate(tenantId);
    this.d.outbox.wake();
    return ok({ settings, changed, created });
  }

  /** Back to `builtin`: passwords are kept in sspr again. */
  async remove(
    actor: ChangeActor,
    tenantId: string,
    rc: RequestContext,
  ): Promise<Result<RemoveOutcome, DirectorySettingsError>> {
    const denial = canChangeDirectorySettings(actor, tenantId);
    if (denial) return this.denied(actor, tenantId, 'directory.remove', denial, rc);
    const tenant = await this.d.store.directory.getTenant(tenantId);
    if (!tenant) return err('tenant_not_found');
    const stored = await this.d.store.directory.getTenantDirectory(tenantId);
    const fromDirectory = await this.d.store.directory.listAccounts({ tenantId, fromDirectory: true, limit: 100_000 });
    if (!stored) return ok({ removed: false, directoryAccounts: fromDirectory.length });
    const now = this.d.clock.now();
    await this.d.store.transaction(async (tx) => {
      await tx.directory.setTenantDirectory(tenantId, null, now);
      await appendAudit(tx, {
        at: now,
        tenantId,
        accountId: null,
        actor: actorName(actor),
        type: 'directory.settings_removed',
        outcome: 'ok',
        rc,
        details: { previousKind: stored.settings.kind, directoryAccounts: fromDirectory.length },
      });
      await this.notifyAdmins(
        tx,
        actor,
        tenantId,
        noticePhrase('email.phrase.directoryRemoved', { kind: stored.settings.kind }),
        now,
      );
    });
    await this.d.directories.invalidate(tenantId);
    this.d.outbox.wake();
    return ok({ removed: true, directoryAccounts: fromDirectory.length });
  }

  /**
   * Runs the directory's check (`ExternalDirectory.check`) on a new connection: for `input` when
   * given (settings not saved yet; an empty `bindPassword` uses the saved one), else for the saved
   * settings. Changes nobody; audited `directory.checked` with the verdict.
   */
  async check(
    actor: ChangeActor,
    tenantId: string,
    rc: RequestContext,
    input?: Readonly<Record<string, unknown>>,
  ): Promise<Ok<CheckOutcome> | Refusal<DirectoryCheckError>> {
    // settings not saved yet may point the saved secret at any server: only those who may change them
    const denial = input ? canChangeDirectorySettings(actor, tenantId) : canReadDirectorySettings(actor, tenantId);
    if (denial) return this.denied(actor, tenantId, 'directory.check', denial, rc);
    const tenant = await this.d.store.directory.getTenant(tenantId);
    if (!tenant) return err('tenant_not_found');
    const stored = await this.d.store.directory.getTenantDirectory(tenantId);
    let settings: DirectorySettings;
    if (input) {
      const parsed = this.parse(actor, tenantId, input, stored?.settings ?? null);
      if (!parsed.ok) return parsed;
      settings = parsed.value;
    } else if (stored) settings = stored.settings;
    else
      return err(
        'directory_not_configured',
        'The organisation keeps its passwords in sspr: there is no directory to check.',
      );
    const saved = stored !== null && changedSettingNames(stored.settings, settings).length === 0;
    const report = await this.runCheck(settings);
    await appendAudit(this.d.store, {
      at: this.d.clock.now(),
      tenantId,
      accountId: null,
      actor: actorName(actor),
      type: 'directory.checked',
      outcome: report.verdict,
      rc,
      details: {
        kind: settings.kind,
        saved,
        failed: report.steps
          .filter((s) => s.status === 'fail')
          .map((s) => s.id)
          .join(' '),
      },
    });
    return ok({ report, saved, settings });
  }

  private async runCheck(settings: DirectorySettings): Promise<DirectoryCheckReport> {
    const opened = await this.d.directories.open(settings);
    if (!opened.ok) {
      return checkVerdict([
        checkStep('settings', 'fail', {
          title: said('directory.check.settings.title'),
          detail: asGiven(opened.detail ?? opened.error),
          fix: said('directory.check.settings.fix'),
        }),
      ]);
    }
    try {
      const report = await opened.value.check(settings.testLogin);
      if (!settings.allowInsecure) return report;
      return checkVerdict([
        ...report.steps,
        checkStep('allow_insecure', 'warn', {
          title: said('directory.check.allowInsecure.title'),
          detail: said('directory.check.allowInsecure.detail'),
          fix: said('directory.check.allowInsecure.fix'),
        }),
      ]);
    } finally {
      await opened.value.close();
    }
  }

  private parse(
    actor: ChangeActor,
    tenantId: string,
    input: Readonly<Record<string, unknown>>,
    stored: DirectorySettings | null,
  ): Ok<DirectorySettings> | SettingsInvalid {
    const given = input['bindPassword'];
    const keepSecret = (given === undefined || given === null || given === '') && stored !== null;
    const parsed = parseDirectorySettings(keepSecret ? { ...input, bindPassword: stored.bindPassword } : input);
    if (!parsed.ok) return parsed;
    const ref = parsed.value.bindPassword;
    if (actor.kind !== 'cli' && ref !== stored?.bindPassword && !secretRefAllowedFor(ref, tenantId)) {
      const places = tenantSecretPlaces(tenantId);
      return settingsInvalid([
        settingsProblem('bindPassword', 'bindPasswordTenant', { envPrefix: places.envPrefix, folder: places.folder }),
      ]);
    }
    return parsed;
  }

  private async denied<E extends Denial>(
    actor: ChangeActor,
    tenantId: string,
    action: string,
    denial: E,
    rc: RequestContext,
  ): Promise<Result<never, E>> {
    if (actor.kind !== 'cli') {
      const own = actorTenant(actor) ?? tenantId;
      await auditDenied({ store: this.d.store, clock: this.d.clock }, actor, own, null, action, denial, rc);
    }
    return err(denial);
  }

  /** Every enabled administrator of the tenant but the acting one hears about the change. */
  private async notifyAdmins(
    tx: Repos,
    actor: ChangeActor,
    tenantId: string,
    what: NoticeWords,
    now: number,
  ): Promise<void> {
    const accounts = await tx.directory.listAccounts({ tenantId, limit: 1000 });
    for (const admin of accounts) {
      if (!isAdminRole(admin.role) || !admin.enabled) continue;
      if (actor.kind === 'admin' && admin.id === actor.account.id) continue;
      const theirs = await messageLanguage(tx, tenantId, { saved: admin.locale ?? null });
      await enqueueEmail(tx, this.d, {
        tenantId,
        accountId: admin.id,
        template: 'admin.directory_notice',
        to: admin.login,
        // in that admin's own saved language, not the acting admin's page language
        content: renderEmail(
          'admin.directory_notice',
          { displayName: admin.displayName, what, by: actorDescription(actor), when: new Date(now).toISOString() },
          theirs.locale,
          theirs.timeZone,
        ),
        expiresAt: null,
        now,
      });
    }
  }
}
