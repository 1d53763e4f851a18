import type { CliActor } from '../core/admin-rules.ts';
import { isAdminRole } from '../core/directory-model.ts';
import type { DirectoryCheckReport } from '../core/directory-rules.ts';
import {
  configurationFindings,
  directoryCheckFindings,
  doctorVerdict,
  tenantFindings,
  type ConfigurationFacts,
  type DoctorFinding,
  type DoctorVerdict,
} from '../core/doctor-rules.ts';
import type { DirectoryRepo } from '../ports/store.ts';
import type { DirectorySettingsService } from './directory-settings-service.ts';
import { NO_REQUEST } from './request-context.ts';

/**
 * `sspr doctor`: the configuration's own weak spots (`core/doctor-rules.ts`), each tenant's
 * (administrators and their second gate, a lab-only directory), and the directory check of every
 * tenant that has a directory, with one verdict.
 */
export interface DoctorDeps {
  readonly directory: Pick<DirectoryRepo, 'listTenants' | 'listAccounts' | 'listMethods' | 'getTenantDirectory'>;
  readonly config: ConfigurationFacts;
  readonly directorySettings: Pick<DirectorySettingsService, 'check'>;
}

export interface DoctorReport {
  readonly verdict: DoctorVerdict;
  readonly findings: readonly DoctorFinding[];
  /** The directory check of each tenant with a directory. */
  readonly directories: readonly { readonly tenant: string; readonly report: DirectoryCheckReport }[];
  readonly tenantsChecked: number;
}

export class DoctorService {
  constructor(private readonly d: DoctorDeps) {}

  async run(actor: CliActor): Promise<DoctorReport> {
    const findings: DoctorFinding[] = [...configurationFindings(this.d.config)];
    const directories: { tenant: string; report: DirectoryCheckReport }[] = [];
    const tenants = await this.d.directory.listTenants();
    for (const tenant of tenants) {
      const accounts = await this.d.directory.listAccounts({ tenantId: tenant.id, limit: 100_000 });
      const admins = [];
      for (const a of accounts) {
        if (!isAdminRole(a.role) || !a.enabled) continue;
        const methods = await this.d.directory.listMethods(a.id);
        const verified = (kind: 'email' | 'phone') => methods.some((m) => m.kind === kind && m.verifiedAt !== null);
        admins.push({ login: a.login, hasEmail: verified('email'), hasPhone: verified('phone') });
      }
      const stored = await this.d.directory.getTenantDirectory(tenant.id);
      findings.push(
        ...tenantFindings(
          {
            name: tenant.name,
            admins,
            directory: stored ? { kind: stored.settings.kind, allowInsecure: stored.settings.allowInsecure } : null,
          },
          this.d.config.production,
        ),
      );
      if (!stored) continue;
      const checked = await this.d.directorySettings.check(actor, tenant.id, NO_REQUEST);
      if (!checked.ok) continue; // removed in between
      directories.push({ tenant: tenant.name, report: checked.value.report });
      findings.push(
        ...directoryCheckFindings(tenant.name, checked.value.report).filter(
          // the tenant's own finding already says it
          (f) => f.id !== 'directory.allow_insecure',
        ),
      );
    }
    return { verdict: doctorVerdict(findings), findings, directories, tenantsChecked: tenants.length };
  }
}
