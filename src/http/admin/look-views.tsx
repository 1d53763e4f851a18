import type { VNode } from 'preact';
import { LOCALE_NAMES, LOCALES, textDirection } from '../../core/i18n.ts';
import { DISPLAY_NAME_MAX, START_NOTE_MAX, type TenantLook } from '../../core/tenant-look.ts';
import { AdminLayout } from './admin-layout.tsx';
import { useT } from '../views/i18n-context.tsx';

/** The notices the page shows after a change (`?done=`). */
export const LOOK_NOTICES = ['saved', 'unchanged', 'logoRemoved', 'logoSet'] as const;
export type LookNotice = (typeof LOOK_NOTICES)[number];

export interface LookPageProps {
  readonly tenantName: string;
  readonly activeAdmins: number;
  readonly csrf: string;
  readonly look: TenantLook;
  /** The form's values (the saved look, or what was posted when refused). */
  readonly values: Readonly<Record<string, string>>;
  readonly logoSrc: string | null;
  readonly notice: LookNotice | null;
  readonly problems: readonly { readonly field: string; readonly message: string }[];
}

function Field(p: {
  id: string;
  label: string;
  hint: string;
  value: string;
  problem: string | undefined;
  maxLength: number;
}): VNode {
  return (
    <p>
      <label for={p.id}>{p.label}</label>
      <span class="hint" id={`${p.id}-hint`}>
        {p.hint}
      </span>
      {p.problem ? (
        <span class="field-problem" id={`${p.id}-problem`}>
          {p.problem}
        </span>
      ) : null}
      <input
        id={p.id}
        name={p.id}
        type="text"
        value={p.value}
        maxLength={p.maxLength}
        aria-describedby={p.problem ? `${p.id}-hint ${p.id}-problem` : `${p.id}-hint`}
        aria-invalid={p.problem ? 'true' : undefined}
      />
    </p>
  );
}

/**
 * The console's Look and words page, `/admin/look`: display name, colour, address, start notes
 * per language, and the logo (upload, remove). In the page's language.
 */
export function LookPage(p: LookPageProps): VNode {
  // a component of its own, so that calling LookPage(…) as a function still renders in the page's language
  return <LookShell {...p} />;
}

function LookShell(p: LookPageProps): VNode {
  const t = useT();
  const problemOf = (field: string) => p.problems.find((x) => x.field === field)?.message;
  return (
    <AdminLayout
      title={t('admin.look.title')}
      section="/admin/look"
      tenantName={p.tenantName}
      activeAdmins={p.activeAdmins}
    >
      <h1>{t('admin.look.title')}</h1>
      <p>{t('admin.look.intro')}</p>
      {p.notice ? (
        <p class="ok" role="status">
          {t(`admin.look.${p.notice}`)}
        </p>
      ) : null}
      {p.problems.length > 0 ? (
        <div class="error" role="alert">
          <p>{t('admin.look.problems')}</p>
          <ul>
            {p.problems.map((x) => (
              <li key={x.field}>{x.message}</li>
            ))}
          </ul>
        </div>
      ) : null}
      <form method="post" action="/admin/look">
        <input type="hidden" name="_csrf" value={p.csrf} />
        <Field
          id="displayName"
          label={t('admin.look.displayName')}
          hint={t('admin.look.displayNameHint', { max: DISPLAY_NAME_MAX })}
          value={p.values.displayName ?? ''}
          problem={problemOf('displayName')}
          maxLength={DISPLAY_NAME_MAX * 2}
        />
        <Field
          id="primaryColour"
          label={t('admin.look.colour')}
          hint={t('admin.look.colourHint')}
          value={p.values.primaryColour ?? ''}
          problem={problemOf('primaryColour')}
          maxLength={32}
        />
        <Field
          id="host"
          label={t('admin.look.host')}
          hint={t('admin.look.hostHint')}
          value={p.values.host ?? ''}
          problem={problemOf('host')}
          maxLength={300}
        />
        <p>
          <label for="defaultLocale">{t('admin.look.defaultLocale')}</label>
          <span class="hint" id="defaultLocale-hint">
            {t('admin.look.defaultLocaleHint')}
          </span>
          {problemOf('defaultLocale') ? (
            <span class="field-problem" id="defaultLocale-problem">
              {problemOf('defaultLocale')}
            </span>
          ) : null}
          <select
            id="defaultLocale"
            name="defaultLocale"
            aria-describedby={
              problemOf('defaultLocale') ? 'defaultLocale-hint defaultLocale-problem' : 'defaultLocale-hint'
            }
            aria-invalid={problemOf('defaultLocale') ? 'true' : undefined}
          >
            <option value="" selected={!p.values.defaultLocale}>
              {t('admin.look.defaultLocaleNone')}
            </option>
            {LOCALES.map((l) => (
              <option key={l} value={l} lang={l} selected={p.values.defaultLocale === l}>
                {LOCALE_NAMES[l]}
              </option>
            ))}
          </select>
        </p>
        <Field
          id="timeZone"
          label={t('admin.look.timeZone')}
          hint={t('admin.look.timeZoneHint')}
          value={p.values.timeZone ?? ''}
          problem={problemOf('timeZone')}
          maxLength={64}
        />
        <fieldset>
          <legend>{t('admin.look.notes')}</legend>
          <span class="hint">{t('admin.look.notesHint', { max: START_NOTE_MAX })}</span>
          {LOCALES.map((l) => {
            const id = `note-${l}`;
            const problem = problemOf(`startNotes.${l}`);
            return (
              <p key={l}>
                <label for={id} lang={l}>
                  {LOCALE_NAMES[l]}
                </label>
                {problem ? (
                  <span class="field-problem" id={`${id}-problem`}>
                    {problem}
                  </span>
                ) : null}
                <textarea
                  id={id}
                  name={id}
                  lang={l}
                  dir={textDirection(l)}
                  rows={3}
                  maxLength={START_NOTE_MAX * 2}
                  aria-describedby={problem ? `${id}-problem` : undefined}
                  aria-invalid={problem ? 'true' : undefined}
                >
                  {p.values[id] ?? ''}
                </textarea>
              </p>
            );
          })}
        </fieldset>
        <button type="submit">{t('admin.look.save')}</button>
      </form>
      <h2>{t('admin.look.logo')}</h2>
      {p.logoSrc && p.look.logo ? (
        <>
          <p>
            <img src={p.logoSrc} width={p.look.logo.width} height={p.look.logo.height} alt={t('admin.look.logo')} />
          </p>
          <p class="hint">{t('admin.look.logoHint')}</p>
          <form method="post" action="/admin/look/logo/remove">
            <input type="hidden" name="_csrf" value={p.csrf} />
            <button type="submit" class="secondary">
              {t('admin.look.removeLogo')}
            </button>
          </form>
        </>
      ) : (
        <p>{t('admin.look.logoNone')}</p>
      )}
      <form method="post" action="/admin/look/logo" enctype="multipart/form-data">
        <input type="hidden" name="_csrf" value={p.csrf} />
        <p>
          <label for="logo">{t('admin.look.logoFile')}</label>
          <span class="hint" id="logo-hint">
            {t('admin.look.logoFileHint')}
          </span>
          {problemOf('logo') ? (
            <span class="field-problem" id="logo-problem">
              {problemOf('logo')}
            </span>
          ) : null}
          <input
            id="logo"
            name="logo"
            type="file"
            accept="image/png,image/jpeg"
            required
            aria-describedby={problemOf('logo') ? 'logo-hint logo-problem' : 'logo-hint'}
            aria-invalid={problemOf('logo') ? 'true' : undefined}
          />
        </p>
        <button type="submit">{t('admin.look.upload')}</button>
      </form>
    </AdminLayout>
  );
}
