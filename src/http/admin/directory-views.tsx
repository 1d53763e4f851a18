import type { ComponentChildren, VNode } from 'preact';
import { stepIn, type DirectoryCheckReport } from '../../core/directory-rules.ts';
import { DIRECTORY_LIMITS, type SettingsProblem } from '../../core/directory-settings.ts';
import type { MessageId, Translate } from '../../core/i18n.ts';
import { useI18n, useT } from '../views/i18n-context.tsx';
import { richText } from '../views/rich-text.tsx';
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

/** The notices of the page, after a redirect (`?done=`). */
export type DirectoryNotice = 'saved' | 'unchanged' | 'removed';
export const DIRECTORY_NOTICES: readonly DirectoryNotice[] = ['saved', 'unchanged', 'removed'];

/** The problems the page explains in a box of their own (each with a title and a message in the catalogue). */
export type DirectoryProblem = 'needs_global_admin' | 'not_allowed' | 'directory_not_configured' | 'csrf';
export const DIRECTORY_PROBLEMS: readonly DirectoryProblem[] = [
  'needs_global_admin',
  'not_allowed',
  'directory_not_configured',
  'csrf',
];

/** The form's fields that have a hint under their label (`admin.directory.hint.<field>`, or a range). */
const HINTED: ReadonlySet<DirectoryFormField> = new Set([
  'urls',
  'caFile',
  'tlsServerName',
  'bindDn',
  'baseDn',
  'userFilter',
  'loginAttribute',
  'emailAttribute',
  'mobileAttribute',
  'adminGroups',
  'disabledAttribute',
  'trustContactAttributes',
  'timeoutMs',
  'poolSize',
  'syncIntervalMinutes',
  'testLogin',
]);

function label(t: Translate, f: DirectoryFormField): string {
  return t(`admin.directory.field.${f}` as MessageId);
}

function hint(t: Translate, f: DirectoryFormField): ComponentChildren {
  if (!HINTED.has(f)) return null;
  if (f === 'timeoutMs' || f === 'poolSize') {
    const l = DIRECTORY_LIMITS[f];
    return t('admin.directory.hint.range', { min: l.min, max: l.max, default: l.default });
  }
  if (f === 'syncIntervalMinutes') {
    return t('admin.directory.hint.syncIntervalMinutes', { default: DIRECTORY_LIMITS.syncIntervalMinutes.default });
  }
  // `{login}` is what the person types in the filter itself, not a placeholder of the message
  if (f === 'userFilter')
    return richText(t, 'admin.directory.hint.userFilter', {}, { placeholder: <code>{'{login}'}</code> });
  return t(`admin.directory.hint.${f}` as MessageId);
}

function Csrf({ token }: { token: string }): VNode {
  return <input type="hidden" name="_csrf" value={token} />;
}

/** The problems of `parseDirectorySettings`, each in the page's language and linked to its field. */
function Problems({ problems }: { problems: readonly SettingsProblem[] }): VNode | null {
  const t = useT();
  if (problems.length === 0) return null;
  return (
    <div class="error" role="alert" id="problem">
      <h2 class="problem-title">{t('admin.directory.problemsTitle')}</h2>
      <ul>
        {problems.map((problem, i) => {
          const known = (DIRECTORY_FORM_FIELDS as readonly string[]).includes(problem.field);
          const words = t(`directory.settings.problem.${problem.id}`, problem.params);
          return (
            <li key={i}>
              {known ? (
                <a href={`#${problem.field}`}>{label(t, problem.field as DirectoryFormField)}</a>
              ) : (
                problem.field
              )}
              {`: ${words}`}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

function ProblemBox({ problem }: { problem: DirectoryProblem | null }): VNode | null {
  const t = useT();
  if (!problem) return null;
  return (
    <div class="error" role="alert" id="problem">
      <h2 class="problem-title">{t(`admin.directory.problem.${problem}.title` as MessageId)}</h2>
      <p>{t(`admin.directory.problem.${problem}.message` as MessageId)}</p>
    </div>
  );
}

/** The check's steps in a table: each step's words (title, what was found, what to do) in the page's language (`stepIn`). */
export function CheckReport({ report, unsaved }: { report: DirectoryCheckReport; unsaved: boolean }): VNode {
  const t = useT();
  const ready = report.verdict === 'ready';
  return (
    <section aria-labelledby="check-result-title">
      <h2 id="check-result-title">{t('admin.directory.checkResult')}</h2>
      {unsaved ? <p class="hint">{t('admin.directory.checkUnsaved')}</p> : null}
      <p class={ready ? 'success' : 'error'} role="status" id="verdict">
        {ready ? t('admin.directory.verdictReady') : t('admin.directory.verdictNotReady')}
      </p>
      <div class="table-wrap" role="region" aria-label={t('admin.directory.checkSteps')} tabindex={0}>
        <table class="data directory-check">
          <thead>
            <tr>
              <th scope="col">{t('admin.directory.column.step')}</th>
              <th scope="col">{t('admin.directory.column.result')}</th>
              <th scope="col">{t('admin.directory.column.found')}</th>
              <th scope="col">{t('admin.directory.column.fix')}</th>
            </tr>
          </thead>
          <tbody>
            {report.steps.map((s, i) => {
              // the step's words in the page's language (a directory's own diagnostic stays as given)
              const words = stepIn(t, s);
              return (
                <tr key={i} data-step={s.id} data-status={s.status}>
                  <th scope="row">{words.title}</th>
                  <td>{t(`admin.directory.status.${s.status}` as MessageId)}</td>
                  <td>{words.detail}</td>
                  <td>{s.status === 'pass' ? '' : (words.fix ?? '')}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}

export interface DirectoryPageProps extends DirectoryFrame {
  readonly kind: 'builtin' | 'ldap' | 'ad';
  /** When the settings were saved (ms since the epoch), shown in the page's language. */
  readonly updatedAt: number | null;
  readonly values: DirectoryFormValues;
  readonly canChange: boolean;
  readonly secretPlaces: { readonly envPrefix: string; readonly folder: string };
  readonly notice: DirectoryNotice | null;
  readonly problem: DirectoryProblem | null;
  readonly problems: readonly SettingsProblem[];
  readonly report: { readonly report: DirectoryCheckReport; readonly unsaved: boolean } | null;
}

/** `/admin/directory` in the request's language (a component: it may be called as a function). */
export function DirectoryPage(p: DirectoryPageProps): VNode {
  return <DirectoryView {...p} />;
}

function DirectoryView(p: DirectoryPageProps): VNode {
  const { t, when } = useI18n();
  const v = (f: DirectoryFormField) => p.values[f] ?? '';
  const checked = (f: DirectoryFormField) => v(f) === 'on' || v(f) === 'true';
  const invalid = (f: DirectoryFormField) => (p.problems.some((x) => x.field === f) ? 'true' : undefined);
  const described = (f: DirectoryFormField) => (HINTED.has(f) || f === 'bindPassword' ? `${f}-hint` : undefined);
  const hintOf = (f: DirectoryFormField) => {
    const h = hint(t, f);
    return h ? (
      <span class="hint" id={`${f}-hint`}>
        {h}
      </span>
    ) : null;
  };
  const text = (f: DirectoryFormField, extra: Record<string, string> = {}) => (
    <div class="field">
      <label for={f}>{label(t, f)}</label>
      {hintOf(f)}
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
      <label for={f}>{label(t, f)}</label>
      <span class="hint" id={`${f}-hint`}>
        {hint(t, f)}
      </span>
      <textarea id={f} name={f} rows={3} aria-describedby={`${f}-hint`} aria-invalid={invalid(f)}>
        {v(f)}
      </textarea>
    </div>
  );
  const box = (f: DirectoryFormField) => (
    <div class="choice">
      <input id={f} name={f} type="checkbox" checked={checked(f)} aria-describedby={described(f)} />
      <label for={f}>{label(t, f)}</label>
      {hintOf(f)}
    </div>
  );
  const kindName = p.kind === 'ad' ? 'Active Directory' : 'LDAP';
  const title = t('admin.directory.title');
  return (
    <AdminLayout title={title} section="/admin/directory" tenantName={p.tenantName} activeAdmins={p.activeAdmins}>
      <h1>{title}</h1>
      <p id="directory-status">
        {p.kind === 'builtin'
          ? t('admin.directory.builtin')
          : t('admin.directory.connected', { kind: kindName, when: p.updatedAt === null ? '' : when(p.updatedAt) })}
      </p>
      {p.notice ? (
        <p class="success" role="status">
          {t(`admin.directory.notice.${p.notice}`)}
        </p>
      ) : null}
      <ProblemBox problem={p.problem} />
      <Problems problems={p.problems} />
      {p.report ? <CheckReport report={p.report.report} unsaved={p.report.unsaved} /> : null}
      {p.canChange ? null : <p class="notice">{t('admin.directory.readOnly')}</p>}

      <form method="post" action="/admin/directory" class="stack" novalidate aria-labelledby="settings-title">
        <Csrf token={p.csrf} />
        <h2 id="settings-title">{t('admin.directory.settings')}</h2>
        <fieldset disabled={!p.canChange} class="stack">
          <legend class="visually-hidden">{t('admin.directory.settingsLegend')}</legend>
          <fieldset class="field">
            <legend id="kind">{label(t, 'kind')}</legend>
            <label class="choice">
              <input type="radio" name="kind" value="ldap" checked={v('kind') !== 'ad'} />{' '}
              {t('admin.directory.kind.ldap')}
            </label>
            <label class="choice">
              <input type="radio" name="kind" value="ad" checked={v('kind') === 'ad'} /> {t('admin.directory.kind.ad')}
            </label>
          </fieldset>
          {lines('urls')}
          {box('startTls')}
          {text('caFile')}
          {text('tlsServerName')}
          {text('bindDn')}
          <div class="field">
            <label for="bindPassword">{label(t, 'bindPassword')}</label>
            <span class="hint" id="bindPassword-hint">
              {richText(
                t,
                'admin.directory.bindPasswordHint',
                {},
                { envPrefix: <code>{p.secretPlaces.envPrefix}</code>, folder: <code>{p.secretPlaces.folder}</code> },
              )}
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
            <label for="allowInsecure">{label(t, 'allowInsecure')}</label>
            <span class="hint" id="allowInsecure-hint">
              {t('admin.directory.insecureWarning')}
            </span>
          </div>
        </fieldset>
        <h2 id="check-title">{t('admin.directory.checkTitle')}</h2>
        <p>{t('admin.directory.checkIntro')}</p>
        <div class="actions">
          {p.canChange ? (
            <button type="submit" name="action" value="save">
              {t('admin.directory.save')}
            </button>
          ) : null}
          <button type="submit" name="action" value="check" class={p.canChange ? 'secondary' : undefined}>
            {t('admin.directory.runCheck')}
          </button>
        </div>
      </form>

      {p.canChange && p.kind !== 'builtin' ? (
        <form method="post" action="/admin/directory/remove" class="stack" aria-labelledby="remove-title">
          <Csrf token={p.csrf} />
          <h2 id="remove-title">{t('admin.directory.removeTitle')}</h2>
          <p>{t('admin.directory.removeIntro')}</p>
          <button type="submit" class="secondary">
            {t('admin.directory.remove')}
          </button>
        </form>
      ) : null}
    </AdminLayout>
  );
}
