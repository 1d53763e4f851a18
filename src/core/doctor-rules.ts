// `sspr doctor`: the weak spots of an installation's own configuration and of each tenant, as
// findings with what to fix, and one verdict. Pure: the service gathers the facts.
import type { DirectoryCheckReport } from './directory-rules.ts';

export type DoctorSeverity = 'warn' | 'fail';

export interface DoctorFinding {
  /** Stable id: `public_url_not_https`, `trust_proxy_everyone`, `few_admins`, `admin_sms_only`, … */
  readonly id: string;
  readonly severity: DoctorSeverity;
  /** `configuration`, or the tenant's name. */
  readonly subject: string;
  readonly message: string;
  readonly fix: string;
}

/** healthy: nothing found; warnings: weak spots to know; problems: something does not work or is unsafe. */
export type DoctorVerdict = 'healthy' | 'warnings' | 'problems';

export interface ConfigurationFacts {
  readonly publicUrl: string;
  readonly production: boolean;
  /** The `trust_proxy` setting as configured (comma-separated), or undefined. */
  readonly trustProxy: string | undefined;
}

export interface AdminFacts {
  readonly login: string;
  /** A verified alternate email (the first gate of an administrator's reset). */
  readonly hasEmail: boolean;
  /** A verified mobile phone (the SMS gate). */
  readonly hasPhone: boolean;
}

export interface TenantFacts {
  readonly name: string;
  /** Enabled administrators (admin and global_admin). */
  readonly admins: readonly AdminFacts[];
  /** Null: the tenant keeps its passwords in sspr. */
  readonly directory: { readonly kind: 'ldap' | 'ad'; readonly allowInsecure: boolean } | null;
}

const CONFIGURATION = 'configuration';

/** A tenant name as typed after `sspr …` in a shell. */
function shellArg(s: string): string {
  return /^[A-Za-z0-9._@-]+$/.test(s) ? s : `"${s.replace(/(["\\$`])/g, '\\$1')}"`;
}

/** Whether a `trust_proxy` value believes X-Forwarded-For from any address (so anyone can pick their IP). */
export function trustsEveryone(trustProxy: string | undefined): boolean {
  if (trustProxy === undefined) return false;
  return trustProxy
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .some((e) => e === 'true' || e === '*' || /^(0\.0\.0\.0|::)\/0$/.test(e) || e === '0.0.0.0/0');
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
}

/** The installation's own weak spots: no HTTPS, proxies trusted from anywhere. */
export function configurationFindings(c: ConfigurationFacts): DoctorFinding[] {
  const findings: DoctorFinding[] = [];
  let url: URL | null = null;
  try {
    url = new URL(c.publicUrl);
  } catch {
    url = null;
  }
  if (url && url.protocol !== 'https:') {
    const local = isLoopbackHost(url.hostname);
    if (c.production || !local) {
      findings.push({
        id: 'public_url_not_https',
        severity: c.production ? 'fail' : 'warn',
        subject: CONFIGURATION,
        message: `The public URL ${c.publicUrl} is not https: reset links, codes and passwords would cross the network in clear text.`,
        fix: 'Serve sspr behind TLS and set SSPR_PUBLIC_URL to its https:// address.',
      });
    }
  }
  if (trustsEveryone(c.trustProxy)) {
    findings.push({
      id: 'trust_proxy_everyone',
      severity: 'fail',
      subject: CONFIGURATION,
      message:
        'trust_proxy believes X-Forwarded-For from every address: anyone can choose the IP address the rate limits and the audit log see.',
      fix: 'Set SSPR_TRUST_PROXY to the addresses of your reverse proxies only (e.g. 10.0.0.5 or 10.0.0.0/24).',
    });
  }
  return findings;
}

/** A tenant's weak spots: too few administrators, an administrator whose second gate is SMS alone, a lab-only directory. */
export function tenantFindings(t: TenantFacts, production: boolean): DoctorFinding[] {
  const findings: DoctorFinding[] = [];
  if (t.admins.length < 2) {
    findings.push({
      id: 'few_admins',
      severity: 'warn',
      subject: t.name,
      message:
        t.admins.length === 0
          ? 'The organisation has no enabled administrator: nobody in it can help a person who is locked out.'
          : 'The organisation has only one enabled administrator: if they are locked out, only Technical Support can help.',
      fix: 'Make a second person an administrator (sspr user set-role <login> admin), with an alternate email and a mobile phone registered.',
    });
  }
  for (const a of t.admins) {
    if (a.hasPhone && !a.hasEmail) {
      findings.push({
        id: 'admin_sms_only',
        severity: 'warn',
        subject: t.name,
        message: `The administrator ${a.login} has only a mobile phone registered: a text message alone is a weak proof (a SIM swap or a ported number is enough), and an administrator's reset needs an alternate email first.`,
        fix: `Register an alternate email for ${a.login} (sspr user set-method ${a.login} email <address>).`,
      });
    } else if (!a.hasPhone || !a.hasEmail) {
      findings.push({
        id: 'admin_cannot_reset',
        severity: 'warn',
        subject: t.name,
        message: `The administrator ${a.login} cannot reset their own password: an administrator passes two checks (an alternate email, then a text message) and ${a.hasEmail ? 'no mobile phone' : 'nothing'} is registered.`,
        fix: `Register ${a.hasEmail ? 'a mobile phone' : 'an alternate email and a mobile phone'} for ${a.login} (sspr user set-method ${a.login} email|phone <value>).`,
      });
    }
  }
  if (t.directory?.allowInsecure) {
    findings.push({
      id: 'directory_insecure',
      severity: production ? 'fail' : 'warn',
      subject: t.name,
      message:
        'The directory settings allow password operations over plain LDAP (allowInsecure): passwords cross the network in clear text.',
      fix: `Use ldaps:// or StartTLS and save the settings with --no-allow-insecure (sspr directory set ${shellArg(t.name)} …).`,
    });
  }
  return findings;
}

/** A directory check as findings: a failed step is a problem, a warning a weak spot (skips are not findings). */
export function directoryCheckFindings(tenantName: string, report: DirectoryCheckReport): DoctorFinding[] {
  return report.steps
    .filter((s) => s.status === 'fail' || s.status === 'warn')
    .map((s) => ({
      id: `directory.${s.id}`,
      severity: s.status === 'fail' ? ('fail' as const) : ('warn' as const),
      subject: tenantName,
      message: `${s.title}: ${s.detail}`,
      fix: s.fix ?? `Run: sspr directory check ${shellArg(tenantName)}`,
    }));
}

export function doctorVerdict(findings: readonly DoctorFinding[]): DoctorVerdict {
  if (findings.some((f) => f.severity === 'fail')) return 'problems';
  return findings.length > 0 ? 'warnings' : 'healthy';
}
