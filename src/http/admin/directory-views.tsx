import type { VNode } from 'preact';
import type { DirectoryCheckReport, DirectoryCheckStep } from '../../core/directory-rules.ts';
import { DIRECTORY_LIMITS } from '../../core/directory-settings.ts';
import type { ProblemText } from '../../core/ui-text.ts';
import { AdminLayout } from './admin-layout.tsx';

/** The console's Directory page: where the organisation's passwords live, its settings, the check. */

export interface DirectoryFrame {
  readonly tenantName: string;
  readonly activeAdmins: number;
  readonly csrf: string;
}

/** The form's fields, as `parseDirectorySettings` reads them (text; checkboxes `on` or absent). */
export const DIRECTORY_FORM_FIELDS = [
  'kind',
  'urls',
  'startTls',
  'caFile',
  'tlsServerName',
  'bindDn',
  'bindPassword',
  'baseDn',
  'userFilter',
  'loginAttribute',
  'displayNameAttribute',
  'emailAttribute',
  'mobileAttribute',
  'adminGroups',
  'passwordPolicyDn',
  'disabledAttribute',
  'trustContactAttributes',
  'timeoutMs',
  'poolSize',
  'syncIntervalMinutes',
  'testLogin',
  'allowInsecure',
] as const;
export type DirectoryFormField = (typeof DIRECTORY_FORM_FIELDS)[number];
export type DirectoryFormValues = Partial<Record<DirectoryFormField, string>>;

export const DIRECTORY_TEXT = {
  title: 'Directory',
  builtin:
    'Your organisation’s passwords are kept in sspr itself. Connect your OpenLDAP or Active Directory below so that a reset changes the password people use everywhere.',
  connected: (kind: string, when: string) =>
    `Passwords are reset in your ${kind} directory. The settings were saved on ${when}.`,
  readOnly:
    'Only a global administrator can change these settings, because every password of the organisation depends on them. You can run the check of the saved settings.',
  saved:
    'The directory settings were saved. The other administrators were told by email. Run the check before the first reset.',
  unchanged: 'Nothing changed: these are already the saved settings.',
  removed:
    'The directory was removed: sspr keeps your organisation’s passwords again. The other administrators were told by email.',
  problemTitle: 'The settings were not saved: check these',
  bindPasswordHint: (envPrefix: string, folder: string) =>
    `Not the password itself: where sspr reads it. Type env:${envPrefix}_BIND (an environment variable of the sspr server) or file:/…/${folder}/bind-password (a file in a folder named after your organisation). Ask the people who run sspr to put the password there. A password typed here would be kept in the database and seen by every administrator; a reference keeps it out. Leave it empty to keep the saved one.`,
  insecureWarning:
    'For a test lab only. With this on, passwords may cross the network in clear text (plain LDAP). sspr warns about it in the check, in its log and in sspr doctor. Never use it for real people.',
  checkTitle: 'Check before the first reset',
  checkIntro:
    'The check tries each server and its certificate, signs in as the service account, finds the test account, reads the password rules and checks that the service account may reset passwords and unlock accounts. It changes nobody.',
  checkUnsaved: 'These are the settings in the form, not saved yet.',
  verdictReady: 'Ready: resets will work.',
  verdictNotReady: 'Not ready: resets will not work. Fix the failed steps, then run the check again.',
  removeTitle: 'Remove the directory',
  removeIntro:
    'sspr will keep the passwords again. People whose account came from the directory have no password in sspr until they reset it.',
} as const;

export const DIRECTORY_PROBLEMS: Readonly<Record<string, ProblemText>> = {
  needs_global_admin: {
    title: 'Only a global administrator can do this',
    message:
      'The directory settings decide where every password of your organisation is reset. Ask a global administrator of your organisation to change them.',
  },
  not_allowed: {
    title: 'You cannot change the directory settings',
    message: 'Ask a global administrator of your organisation.',
  },
  directory_not_configured: {
    title: 'There is no directory to check',
    message: 'Your organisation keeps its passwords in sspr. Save the settings of your directory first.',
  },
  csrf: {
    title: 'This page was open too long',
    message: 'For your security the form expired. Nothing was saved. Fill it in again and send it.',
  },
};

const LABELS: Readonly<Record<DirectoryFormField, string>> = {
  kind: 'Kind of directory',
  urls: 'Server addresses',
  startTls: 'Use StartTLS on ldap:// addresses',
  caFile: 'CA file',
  tlsServerName: 'Name in the servers’ certificate',
  bindDn: 'Service account (bind DN)',
  bindPassword: 'Where the service account’s password is',
  baseDn: 'Base DN of the accounts',
  userFilter: 'User filter',
  loginAttribute: 'Login attribute',
  displayNameAttribute: 'Display name attribute',
  emailAttribute: 'Alternate email attribute',
  mobileAttribute: 'Mobile phone attribute',
  adminGroups: 'Administrator groups',
  passwordPolicyDn: 'Password policy entry (OpenLDAP)',
  disabledAttribute: 'Disabled marker',
  trustContactAttributes: 'Trust the directory’s email and mobile attributes',
  timeoutMs: 'Timeout (milliseconds)',
  poolSize: 'Connections kept open',
  syncIntervalMinutes: 'Minutes between syncs',
  testLogin: 'Test account',
  allowInsecure: 'Allow plain LDAP (lab only)',
};

const HINTS: Partial<Record<DirectoryFormField, string>> = {
  urls: 'One per line, tried in order: ldaps://dc1.example.com:636, or ldap://… with StartTLS.',
  caFile:
    'The absolute path, on the sspr server, of a PEM file with the CA that signs the certificates. Empty: the system’s CAs.',
  tlsServerName: 'Only when the addresses use an IP address or a name the certificate does not carry.',
  bindDn: 'The account sspr signs in as to find people, reset passwords and unlock accounts.',
  baseDn: 'Where the people are, e.g. ou=people,dc=example,dc=com.',
  userFilter: 'Empty: the default for the kind. {login} is where the typed login goes (escaped).',
  loginAttribute: 'Empty: uid (LDAP) or sAMAccountName (AD).',
  emailAttribute: 'Type - for none.',
  mobileAttribute: 'Type - for none.',
  adminGroups: 'One group DN per line. Members are administrators in sspr (on AD, nested groups count).',
  disabledAttribute: 'name=value, e.g. employeeType=disabled. Empty: the directory’s own lock.',
  trustContactAttributes: 'When on, the sync fills in people’s alternate email and mobile phone from the directory.',
  timeoutMs: `From ${DIRECTORY_LIMITS.timeoutMs.min} to ${DIRECTORY_LIMITS.timeoutMs.max}. Empty: ${DIRECTORY_LIMITS.timeoutMs.default}.`,
  poolSize: `From ${DIRECTORY_LIMITS.poolSize.min} to ${DIRECTORY_LIMITS.poolSize.max}. Empty: ${DIRECTORY_LIMITS.poolSize.default}.`,
  syncIntervalMinutes: `0: only when an operator runs the sync. Empty: ${DIRECTORY_LIMITS.syncIntervalMinutes.default}.`,
  testLogin: 'An ordinary person’s login the check looks up (never changed). Without it the rights cannot be checked.',
};

const STATUS_TEXT: Readonly<Record<DirectoryCheckStep['status'], string>> = {
  pass: 'Passed',
  warn: 'Warning',
  fail: 'Failed',
  skip: 'Not checked',
};

function Csrf({ token }: { token: string }): VNode {
  return <input type="hidden" name="_csrf" value={token} />;
}

/** The problem lines of `parseDirectorySettings` (`field: message`), each linked to its field. */
function Problems({ lines }: { lines: readonly string[] }): VNode | null {
  if (lines.length === 0) return null;
  return (
    <div class="error" role="alert" id="problem">
      <h2 class="problem-title">{DIRECTORY_TEXT.problemTitle}</h2>
      <ul>
        {lines.map((line, i) => {
          const at = line.indexOf(':');
          const field = at > 0 ? line.slice(0, at) : '';
          const known = (DIRECTORY_FORM_FIELDS as readonly string[]).includes(field);
          return (
            <li key={i}>
              {known ? <a href={`#${field}`}>{LABELS[field as DirectoryFormField]}</a> : null}
              {known ? `: ${line.slice(at + 1).trim()}` : line}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

function ProblemBox({ problem }: { problem: ProblemText | null }): VNode | null {
  if (!problem) return null;
  return (
    <div class="error" role="alert" id="problem">
      <h2 class="problem-title">{problem.title}</h2>
      <p>{problem.message}</p>
    </div>
  );
}

export function CheckReport({ report, unsaved }: { report: DirectoryCheckReport; unsaved: boolean }): VNode {
  const t = DIRECTORY_TEXT;
  const ready = report.verdict === 'ready';
  return (
    <section aria-labelledby="check-result-title">
      <h2 id="check-result-title">Check result</h2>
      {unsaved ? <p class="hint">{t.checkUnsaved}</p> : null}
      <p class={ready ? 'success' : 'error'} role="status" id="verdict">
        {ready ? t.verdictReady : t.verdictNotReady}
      </p>
      <div class="table-wrap" role="region" aria-label="Steps of the check" tabindex={0}>
        <table class="data directory-check">
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col">Result</th>
              <th scope="col">What was found</th>
              <th scope="col">What to do</th>
            </tr>
          </thead>
          <tbody>
            {report.steps.map((s, i) => (
              <tr key={i} data-step={s.id} data-status={s.status}>
                <th scope="row">{s.title}</th>
                <td>{STATUS_TEXT[s.status]}</td>
                <td>{s.detail}</td>
                <td>{s.status === 'pass' ? '' : (s.fix ?? '')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export function DirectoryPage(
  p: DirectoryFrame & {
    readonly kind: 'builtin' | 'ldap' | 'ad';
    readonly updatedAt: string | null;
    readonly values: DirectoryFormValues;
    readonly canChange: boolean;
    readonly secretPlaces: { readonly envPrefix: string; readonly folder: string };
    readonly notice: string | null;
    readonly problem: ProblemText | null;
    readonly problems: readonly string[];
    readonly report: { readonly report: DirectoryCheckReport; readonly unsaved: boolean } | null;
  },
): VNode {
  const t = DIRECTORY_TEXT;
  const v = (f: DirectoryFormField) => p.values[f] ?? '';
  const checked = (f: DirectoryFormField) => v(f) === 'on' || v(f) === 'true';
  const invalid = (f: DirectoryFormField) => (p.problems.some((l) => l.startsWith(`${f}:`)) ? 'true' : undefined);
  const described = (f: DirectoryFormField) => (HINTS[f] || f === 'bindPassword' ? `${f}-hint` : undefined);
  const text = (f: DirectoryFormField, extra: Record<string, string> = {}) => (
    <div class="field">
      <label for={f}>{LABELS[f]}</label>
      {HINTS[f] ? (
        <span class="hint" id={`${f}-hint`}>
          {HINTS[f]}
        </span>
      ) : null}
      <input
        id={f}
        name={f}
        type="text"
        value={v(f)}
        aria-describedby={described(f)}
        aria-invalid={invalid(f)}
        {...extra}
      />
    </div>
  );
  const lines = (f: DirectoryFormField) => (
    <div class="field">
      <label for={f}>{LABELS[f]}</label>
      <span class="hint" id={`${f}-hint`}>
        {HINTS[f]}
      </span>
      <textarea id={f} name={f} rows={3} aria-describedby={`${f}-hint`} aria-invalid={invalid(f)}>
        {v(f)}
      </textarea>
    </div>
  );
  const box = (f: DirectoryFormField) => (
    <div class="choice">
      <input id={f} name={f} type="checkbox" checked={checked(f)} aria-describedby={described(f)} />
      <label for={f}>{LABELS[f]}</label>
      {HINTS[f] ? (
        <span class="hint" id={`${f}-hint`}>
          {HINTS[f]}
        </span>
      ) : null}
    </div>
  );
  const kindName = p.kind === 'ad' ? 'Active Directory' : 'LDAP';
  return (
    <AdminLayout title={t.title} section="/admin/directory" tenantName={p.tenantName} activeAdmins={p.activeAdmins}>
      <h1>{t.title}</h1>
      <p id="directory-status">{p.kind === 'builtin' ? t.builtin : t.connected(kindName, p.updatedAt ?? '')}</p>
      {p.notice ? (
        <p class="success" role="status">
          {p.notice}
        </p>
      ) : null}
      <ProblemBox problem={p.problem} />
      <Problems lines={p.problems} />
      {p.report ? <CheckReport report={p.report.report} unsaved={p.report.unsaved} /> : null}
      {p.canChange ? null : <p class="notice">{t.readOnly}</p>}

      <form method="post" action="/admin/directory" class="stack" novalidate aria-labelledby="settings-title">
        <Csrf token={p.csrf} />
        <h2 id="settings-title">Settings</h2>
        <fieldset disabled={!p.canChange} class="stack">
          <legend class="visually-hidden">Directory settings</legend>
          <fieldset class="field">
            <legend id="kind">{LABELS.kind}</legend>
            <label class="choice">
              <input type="radio" name="kind" value="ldap" checked={v('kind') !== 'ad'} /> OpenLDAP or another LDAP
              server
            </label>
            <label class="choice">
              <input type="radio" name="kind" value="ad" checked={v('kind') === 'ad'} /> Active Directory (or Samba AD)
            </label>
          </fieldset>
          {lines('urls')}
          {box('startTls')}
          {text('caFile')}
          {text('tlsServerName')}
          {text('bindDn')}
          <div class="field">
            <label for="bindPassword">{LABELS.bindPassword}</label>
            <span class="hint" id="bindPassword-hint">
              {t.bindPasswordHint(p.secretPlaces.envPrefix, p.secretPlaces.folder)}
            </span>
            <input
              id="bindPassword"
              name="bindPassword"
              type="text"
              autocomplete="off"
              spellcheck={false}
              value={v('bindPassword')}
              placeholder={`env:${p.secretPlaces.envPrefix}_BIND`}
              aria-describedby="bindPassword-hint"
              aria-invalid={invalid('bindPassword')}
            />
          </div>
          {text('baseDn')}
          {text('userFilter')}
          {text('loginAttribute')}
          {text('displayNameAttribute')}
          {text('emailAttribute')}
          {text('mobileAttribute')}
          {lines('adminGroups')}
          {text('passwordPolicyDn')}
          {text('disabledAttribute')}
          {box('trustContactAttributes')}
          {text('timeoutMs', { inputMode: 'numeric' })}
          {text('poolSize', { inputMode: 'numeric' })}
          {text('syncIntervalMinutes', { inputMode: 'numeric' })}
          {text('testLogin')}
          <div class="choice banner warning">
            <input
              id="allowInsecure"
              name="allowInsecure"
              type="checkbox"
              checked={checked('allowInsecure')}
              aria-describedby="allowInsecure-hint"
            />
            <label for="allowInsecure">{LABELS.allowInsecure}</label>
            <span class="hint" id="allowInsecure-hint">
              {t.insecureWarning}
            </span>
          </div>
        </fieldset>
        <h2 id="check-title">{t.checkTitle}</h2>
        <p>{t.checkIntro}</p>
        <div class="actions">
          {p.canChange ? (
            <button type="submit" name="action" value="save">
              Save
            </button>
          ) : null}
          <button type="submit" name="action" value="check" class={p.canChange ? 'secondary' : undefined}>
            Run check
          </button>
        </div>
      </form>

      {p.canChange && p.kind !== 'builtin' ? (
        <form method="post" action="/admin/directory/remove" class="stack" aria-labelledby="remove-title">
          <Csrf token={p.csrf} />
          <h2 id="remove-title">{t.removeTitle}</h2>
          <p>{t.removeIntro}</p>
          <button type="submit" class="secondary">
            Remove the directory
          </button>
        </form>
      ) : null}
    </AdminLayout>
  );
}
