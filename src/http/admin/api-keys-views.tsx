import type { VNode } from 'preact';
import { API_SCOPES, type ApiScope } from '../../core/admin-rules.ts';
import type { MessageId, Translate } from '../../core/i18n.ts';
import type { ApiKeyView } from '../../service/api-key-service.ts';
import { useI18n, useT } from '../views/i18n-context.tsx';
import { AdminLayout } from './admin-layout.tsx';

/** What the API keys page knows about the signed-in admin's tenant. */
export interface ApiKeysFrame {
  readonly tenantName: string;
  readonly activeAdmins: number;
  readonly csrf: string;
}

/** Lifetimes offered in the form, in days (0: never expires). */
export const EXPIRY_CHOICES: readonly { readonly days: number }[] = [
  { days: 30 },
  { days: 90 },
  { days: 365 },
  { days: 0 },
];
export const DEFAULT_EXPIRY_DAYS = 90;

/** The notice after a redirect (`?done=revoked`). */
export type ApiKeysNotice = 'revoked';

/** The problems the form explains (title and message in the catalogue, `admin.apikeys.problem.<id>.*`). */
export type ApiKeyProblem =
  | 'name_invalid'
  | 'scopes_missing'
  | 'scope_unknown'
  | 'expiry_invalid'
  | 'not_allowed'
  | 'csrf';
export const API_KEY_PROBLEMS: readonly ApiKeyProblem[] = [
  'name_invalid',
  'scopes_missing',
  'scope_unknown',
  'expiry_invalid',
  'not_allowed',
  'csrf',
];

/** What each scope allows, in the page's language. */
function scopeText(t: Translate, scope: ApiScope): string {
  return t(`admin.apikeys.scope.${scope}` as MessageId);
}

function expiryLabel(t: Translate, days: number): string {
  if (days === 0) return t('admin.apikeys.never');
  if (days === 365) return t('admin.apikeys.expiry.year');
  return t('admin.apikeys.expiry.days', { days });
}

function useWhen(): (ms: number | null, none: string) => string {
  const { when } = useI18n();
  return (ms, none) => (ms === null ? none : when(ms));
}

function Csrf({ token }: { token: string }): VNode {
  return <input type="hidden" name="_csrf" value={token} />;
}

function Problem({ problem }: { problem: ApiKeyProblem | null }): VNode | null {
  const t = useT();
  if (!problem) return null;
  return (
    <div class="error" role="alert" id="problem">
      <h2 class="problem-title">{t(`admin.apikeys.problem.${problem}.title`)}</h2>
      <p>{t(`admin.apikeys.problem.${problem}.message`)}</p>
    </div>
  );
}

export interface ApiKeysFormValues {
  readonly name: string;
  readonly scopes: readonly string[];
  readonly expiryDays: number;
}

export const EMPTY_FORM: ApiKeysFormValues = { name: '', scopes: [], expiryDays: DEFAULT_EXPIRY_DAYS };

export interface ApiKeysPageProps extends ApiKeysFrame {
  readonly keys: readonly ApiKeyView[];
  /** Readable names of the creators (`admin:<id>` → their login), when known. */
  readonly creators?: Readonly<Record<string, string>>;
  readonly form: ApiKeysFormValues;
  readonly problem: ApiKeyProblem | null;
  readonly notice: ApiKeysNotice | null;
}

/** `/admin/api-keys`: the tenant's keys (never a secret), revoke buttons and the create form. */
export function ApiKeysPage(p: ApiKeysPageProps): VNode {
  return <ApiKeysView {...p} />;
}

function ApiKeysView(p: ApiKeysPageProps): VNode {
  const t = useT();
  const when = useWhen();
  const described = p.problem ? 'problem' : undefined;
  const title = t('admin.apikeys.title');
  const creator = (by: string) => p.creators?.[by] ?? (by === 'cli' ? t('admin.apikeys.commandLine') : by);
  return (
    <AdminLayout title={title} section="/admin/api-keys" tenantName={p.tenantName} activeAdmins={p.activeAdmins}>
      <h1>{title}</h1>
      <p>{t('admin.apikeys.intro')}</p>
      {p.notice ? (
        <p class="success" role="status">
          {t(`admin.apikeys.notice.${p.notice}`)}
        </p>
      ) : null}

      <h2 id="keys-title">{t('admin.apikeys.listTitle')}</h2>
      {p.keys.length === 0 ? (
        <p>{t('admin.apikeys.none')}</p>
      ) : (
        <div class="table-wrap" role="region" aria-labelledby="keys-title" tabindex={0}>
          <table class="data api-keys">
            <thead>
              <tr>
                <th scope="col">{t('admin.apikeys.column.name')}</th>
                <th scope="col">{t('admin.apikeys.column.key')}</th>
                <th scope="col">{t('admin.apikeys.column.permissions')}</th>
                <th scope="col">{t('admin.apikeys.column.created')}</th>
                <th scope="col">{t('admin.apikeys.column.lastUsed')}</th>
                <th scope="col">{t('admin.apikeys.column.expires')}</th>
                <th scope="col">{t('admin.apikeys.column.status')}</th>
                <th scope="col">{t('admin.apikeys.column.action')}</th>
              </tr>
            </thead>
            <tbody>
              {p.keys.map((k) => (
                <tr key={k.id}>
                  <th scope="row">{k.name}</th>
                  <td>
                    <code class="ltr">{k.hint}</code>
                  </td>
                  <td>
                    <bdi class="ltr">{k.scopes.join(', ')}</bdi>
                  </td>
                  <td>
                    {when(k.createdAt, '-')}
                    <span class="hint">{t('admin.apikeys.createdBy', { name: creator(k.createdBy) })}</span>
                  </td>
                  <td>{when(k.lastUsedAt, t('admin.apikeys.never'))}</td>
                  <td>{when(k.expiresAt, t('admin.apikeys.never'))}</td>
                  <td>
                    {t(`admin.apikeys.status.${k.status}`)}
                    {k.revokedAt !== null ? <span class="hint">{when(k.revokedAt, '')}</span> : null}
                  </td>
                  <td>
                    {k.status === 'revoked' ? null : (
                      <form method="post" action={`/admin/api-keys/${k.id}/revoke`}>
                        <Csrf token={p.csrf} />
                        <button
                          type="submit"
                          class="secondary"
                          aria-label={t('admin.apikeys.revokeLabel', { name: k.name })}
                        >
                          {t('admin.apikeys.revoke')}
                        </button>
                      </form>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2 id="create-title">{t('admin.apikeys.createTitle')}</h2>
      <Problem problem={p.problem} />
      <form method="post" action="/admin/api-keys" class="stack" aria-labelledby="create-title">
        <Csrf token={p.csrf} />
        <div class="field">
          <label for="key-name">{t('admin.apikeys.name')}</label>
          <p class="hint" id="key-name-hint">
            {t('admin.apikeys.nameHint')}
          </p>
          <input
            id="key-name"
            name="name"
            type="text"
            maxLength={100}
            required
            value={p.form.name}
            aria-describedby={described ? `key-name-hint ${described}` : 'key-name-hint'}
          />
        </div>
        <fieldset class="field">
          <legend>{t('admin.apikeys.scopes')}</legend>
          <p class="hint">{t('admin.apikeys.scopesHint')}</p>
          {API_SCOPES.map((s) => (
            <div key={s} class="choice">
              <input
                type="checkbox"
                id={`scope-${s.replace(':', '-')}`}
                name="scope"
                value={s}
                checked={p.form.scopes.includes(s)}
              />
              <label for={`scope-${s.replace(':', '-')}`}>
                <code class="ltr">{s}</code> — {scopeText(t, s)}
              </label>
            </div>
          ))}
        </fieldset>
        <div class="field">
          <label for="key-expiry">{t('admin.apikeys.expiry')}</label>
          <select id="key-expiry" name="expiry_days">
            {EXPIRY_CHOICES.map((c) => (
              <option key={c.days} value={String(c.days)} selected={c.days === p.form.expiryDays}>
                {expiryLabel(t, c.days)}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">{t('admin.apikeys.create')}</button>
      </form>
    </AdminLayout>
  );
}

export interface ApiKeyCreatedProps extends ApiKeysFrame {
  readonly key: ApiKeyView;
  readonly token: string;
}

/** Shown once, right after creation: the full key, with the warning to copy it now. */
export function ApiKeyCreatedPage(p: ApiKeyCreatedProps): VNode {
  return <ApiKeyCreatedView {...p} />;
}

function ApiKeyCreatedView(p: ApiKeyCreatedProps): VNode {
  const t = useT();
  const when = useWhen();
  const title = t('admin.apikeys.createdTitle');
  return (
    <AdminLayout title={title} section="/admin/api-keys" tenantName={p.tenantName} activeAdmins={p.activeAdmins}>
      <h1>{title}</h1>
      <div class="notice" role="alert">
        <p>
          <strong>{t('admin.apikeys.createdWarning')}</strong>
        </p>
      </div>
      <div class="field">
        <label for="new-key">{t('admin.apikeys.keyLabel')}</label>
        <p class="hint" id="new-key-hint">
          {t('admin.apikeys.keyHint')}
        </p>
        <input
          id="new-key"
          type="text"
          readOnly
          value={p.token}
          autocomplete="off"
          spellcheck={false}
          dir="ltr"
          aria-describedby="new-key-hint"
        />
      </div>
      <dl>
        <dt>{t('admin.apikeys.column.name')}</dt>
        <dd>{p.key.name}</dd>
        <dt>{t('admin.apikeys.column.permissions')}</dt>
        <dd>
          <bdi class="ltr">{p.key.scopes.join(', ')}</bdi>
        </dd>
        <dt>{t('admin.apikeys.column.expires')}</dt>
        <dd>{when(p.key.expiresAt, t('admin.apikeys.never'))}</dd>
      </dl>
      <p>
        <a href="/admin/api-keys">{t('admin.apikeys.back')}</a>
      </p>
    </AdminLayout>
  );
}

export function ApiKeyNotFoundPage(p: Omit<ApiKeysFrame, 'csrf'>): VNode {
  return <ApiKeyNotFoundView {...p} />;
}

function ApiKeyNotFoundView(p: Omit<ApiKeysFrame, 'csrf'>): VNode {
  const t = useT();
  const title = t('admin.apikeys.notFound.title');
  return (
    <AdminLayout title={title} section="/admin/api-keys" tenantName={p.tenantName} activeAdmins={p.activeAdmins}>
      <h1>{title}</h1>
      <p>{t('admin.apikeys.notFound.message')}</p>
      <p>
        <a href="/admin/api-keys">{t('admin.apikeys.back')}</a>
      </p>
    </AdminLayout>
  );
}
