import type { VNode } from 'preact';
import { API_SCOPES, type ApiScope } from '../../core/admin-rules.ts';
import { formatWhen } from '../../core/message-templates.ts';
import { CONSOLE_FORM_EXPIRED, type ProblemText } from '../../core/ui-text.ts';
import type { ApiKeyStatus, ApiKeyView } from '../../service/api-key-service.ts';
import { AdminLayout } from './admin-layout.tsx';

/** What the API keys page knows about the signed-in admin's tenant. */
export interface ApiKeysFrame {
  readonly tenantName: string;
  readonly activeAdmins: number;
  readonly csrf: string;
}

/** What each scope allows, in words. */
export const SCOPE_TEXT: Readonly<Record<ApiScope, string>> = {
  'users:read': 'See users, their roles and masked contact methods',
  'users:write': 'Pre-fill contact methods and unblock self-service reset (users only)',
  'resets:write': 'Send admin-assisted reset links (users only, never administrators)',
  'help:read': 'See help requests',
  'help:write': 'Resolve or dismiss help requests',
  'audit:read': 'Read and export the audit log',
  'directory:read': 'See the directory settings (never the password) and run the directory check',
  'directory:write': 'Change or remove the directory settings (OpenLDAP, Active Directory)',
};

/** Lifetimes offered in the form, in days (0: never expires). */
export const EXPIRY_CHOICES: readonly { readonly days: number; readonly label: string }[] = [
  { days: 30, label: '30 days' },
  { days: 90, label: '90 days' },
  { days: 365, label: '1 year' },
  { days: 0, label: 'Never' },
];
export const DEFAULT_EXPIRY_DAYS = 90;

export const API_KEYS_TEXT = {
  title: 'API keys',
  intro:
    'API keys let another application use the admin API (/api/v1/admin/…) for this organisation, with only the permissions you choose. Anyone holding a key can do what its permissions allow: give each application its own key, and revoke a key as soon as it is no longer needed.',
  createTitle: 'Create an API key',
  name: 'Name',
  nameHint: 'Who or what uses the key, e.g. “HR sync”.',
  scopes: 'Permissions',
  scopesHint: 'Choose at least one.',
  expiry: 'Expires after',
  create: 'Create key',
  listTitle: 'Keys of this organisation',
  none: 'No API keys yet.',
  createdTitle: 'Copy your new API key now',
  createdWarning:
    'This is the only time the key is shown. We keep only a fingerprint of it, so nobody — not even an administrator — can show it again. If you lose it, revoke it and create a new one.',
  keyLabel: 'Your new API key',
  keyHint: 'Send it as the header: Authorization: Bearer <key>',
  back: 'Back to API keys',
  revoked: 'The key was revoked. Requests with it are refused from now on.',
} as const;

export const API_KEY_PROBLEMS: Readonly<Record<string, ProblemText>> = {
  name_invalid: { title: 'Check the name', message: 'Give the key a name of 1 to 100 characters.' },
  scopes_missing: { title: 'Choose a permission', message: 'Tick at least one permission for the key.' },
  scope_unknown: { title: 'Choose a permission', message: 'Tick only the permissions listed.' },
  expiry_invalid: { title: 'Choose when it expires', message: 'Choose one of the expiry options.' },
  not_allowed: { title: 'Not allowed', message: 'Only administrators of this organisation can manage its API keys.' },
  csrf: CONSOLE_FORM_EXPIRED,
};

const STATUS_TEXT: Readonly<Record<ApiKeyStatus, string>> = {
  active: 'Active',
  revoked: 'Revoked',
  expired: 'Expired',
};

function when(ms: number | null, none: string): string {
  return ms === null ? none : formatWhen(new Date(ms).toISOString());
}

function Csrf({ token }: { token: string }): VNode {
  return <input type="hidden" name="_csrf" value={token} />;
}

function Problem({ problem }: { problem: ProblemText | null }): VNode | null {
  if (!problem) return null;
  return (
    <div class="error" role="alert" id="problem">
      <h2 class="problem-title">{problem.title}</h2>
      <p>{problem.message}</p>
    </div>
  );
}

export interface ApiKeysFormValues {
  readonly name: string;
  readonly scopes: readonly string[];
  readonly expiryDays: number;
}

export const EMPTY_FORM: ApiKeysFormValues = { name: '', scopes: [], expiryDays: DEFAULT_EXPIRY_DAYS };

/** `/admin/api-keys`: the tenant's keys (never a secret), revoke buttons and the create form. */
export function ApiKeysPage(
  p: ApiKeysFrame & {
    readonly keys: readonly ApiKeyView[];
    /** Readable names of the creators (`admin:<id>` → their login), when known. */
    readonly creators?: Readonly<Record<string, string>>;
    readonly form: ApiKeysFormValues;
    readonly problem: ProblemText | null;
    readonly notice: string | null;
  },
): VNode {
  const t = API_KEYS_TEXT;
  const described = p.problem ? 'problem' : undefined;
  return (
    <AdminLayout title={t.title} section="/admin/api-keys" tenantName={p.tenantName} activeAdmins={p.activeAdmins}>
      <h1>{t.title}</h1>
      <p>{t.intro}</p>
      {p.notice ? (
        <p class="success" role="status">
          {p.notice}
        </p>
      ) : null}

      <h2 id="keys-title">{t.listTitle}</h2>
      {p.keys.length === 0 ? (
        <p>{t.none}</p>
      ) : (
        <div class="table-wrap" role="region" aria-labelledby="keys-title" tabindex={0}>
          <table class="data api-keys">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Permissions</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">Status</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {p.keys.map((k) => (
                <tr key={k.id}>
                  <th scope="row">{k.name}</th>
                  <td>
                    <code>{k.hint}</code>
                  </td>
                  <td>{k.scopes.join(', ')}</td>
                  <td>
                    {when(k.createdAt, '-')}
                    <span class="hint">by {p.creators?.[k.createdBy] ?? k.createdBy}</span>
                  </td>
                  <td>{when(k.lastUsedAt, 'Never')}</td>
                  <td>{when(k.expiresAt, 'Never')}</td>
                  <td>
                    {STATUS_TEXT[k.status]}
                    {k.revokedAt !== null ? <span class="hint">{when(k.revokedAt, '')}</span> : null}
                  </td>
                  <td>
                    {k.status === 'revoked' ? null : (
                      <form method="post" action={`/admin/api-keys/${k.id}/revoke`}>
                        <Csrf token={p.csrf} />
                        <button type="submit" class="secondary" aria-label={`Revoke the key “${k.name}”`}>
                          Revoke
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

      <h2 id="create-title">{t.createTitle}</h2>
      <Problem problem={p.problem} />
      <form method="post" action="/admin/api-keys" class="stack" aria-labelledby="create-title">
        <Csrf token={p.csrf} />
        <div class="field">
          <label for="key-name">{t.name}</label>
          <p class="hint" id="key-name-hint">
            {t.nameHint}
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
          <legend>{t.scopes}</legend>
          <p class="hint">{t.scopesHint}</p>
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
                <code>{s}</code> — {SCOPE_TEXT[s]}
              </label>
            </div>
          ))}
        </fieldset>
        <div class="field">
          <label for="key-expiry">{t.expiry}</label>
          <select id="key-expiry" name="expiry_days">
            {EXPIRY_CHOICES.map((c) => (
              <option key={c.days} value={String(c.days)} selected={c.days === p.form.expiryDays}>
                {c.label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">{t.create}</button>
      </form>
    </AdminLayout>
  );
}

/** Shown once, right after creation: the full key, with the warning to copy it now. */
export function ApiKeyCreatedPage(p: ApiKeysFrame & { readonly key: ApiKeyView; readonly token: string }): VNode {
  const t = API_KEYS_TEXT;
  return (
    <AdminLayout
      title={t.createdTitle}
      section="/admin/api-keys"
      tenantName={p.tenantName}
      activeAdmins={p.activeAdmins}
    >
      <h1>{t.createdTitle}</h1>
      <div class="notice" role="alert">
        <p>
          <strong>{t.createdWarning}</strong>
        </p>
      </div>
      <div class="field">
        <label for="new-key">{t.keyLabel}</label>
        <p class="hint" id="new-key-hint">
          {t.keyHint}
        </p>
        <input
          id="new-key"
          type="text"
          readOnly
          value={p.token}
          autocomplete="off"
          spellcheck={false}
          aria-describedby="new-key-hint"
        />
      </div>
      <dl>
        <dt>Name</dt>
        <dd>{p.key.name}</dd>
        <dt>Permissions</dt>
        <dd>{p.key.scopes.join(', ')}</dd>
        <dt>Expires</dt>
        <dd>{when(p.key.expiresAt, 'Never')}</dd>
      </dl>
      <p>
        <a href="/admin/api-keys">{t.back}</a>
      </p>
    </AdminLayout>
  );
}

export function ApiKeyNotFoundPage(p: Omit<ApiKeysFrame, 'csrf'>): VNode {
  return (
    <AdminLayout title="Not found" section="/admin/api-keys" tenantName={p.tenantName} activeAdmins={p.activeAdmins}>
      <h1>Not found</h1>
      <p>There is no such API key in your organisation.</p>
      <p>
        <a href="/admin/api-keys">{API_KEYS_TEXT.back}</a>
      </p>
    </AdminLayout>
  );
}
