import type { VNode } from 'preact';
import { LOCALE_NAMES, LOCALES, textDirection } from '../../core/i18n.ts';
import { DISPLAY_NAME_MAX, START_NOTE_MAX, type TenantLook } from '../../core/tenant-look.ts';
import { AdminLayout } from './admin-layout.tsx';

/**
 * The console's Look and words page, `/admin/look`. Its words are English for now, gathered in
 * LOOK_TEXT so that moving them into the catalogues is mechanical (the console's other pages are
 * being moved by another change).
 */
export const LOOK_TEXT = {
  title: 'Look and words',
  intro:
    'How sspr shows your organisation: on every page of a signed-in person, on pages opened at your own address, and in every email.',
  saved: 'The look was saved.',
  unchanged: 'Nothing changed.',
  logoRemoved: 'The logo was removed.',
  problems: 'The look was not saved. Fix each problem:',
  csrf: 'The form expired. Send it again.',
  hostTaken: 'Another organisation already uses this address.',
  displayName: 'Display name',
  displayNameHint: `Your organisation's name as your people know it, at most ${DISPLAY_NAME_MAX} characters. Empty: none.`,
  colour: 'Primary colour',
  colourHint:
    'As # and six hexadecimal digits, like #0b57d0. Accepted only if white or dark text on it is easy to read (contrast 4.5:1, WCAG AA). Empty: sspr’s colours.',
  host: 'Your address for sspr',
  hostHint:
    'A host name like reset.contoso.com that your DNS points at sspr: pages opened there show your look before anyone signs in. Empty: none.',
  notes: 'Note on the start page',
  notesHint: `Shown above the start of a reset and on the sign-in page, in each language (at most ${START_NOTE_MAX} characters). Empty: none.`,
  save: 'Save',
  logo: 'Logo',
  logoNone: 'No logo.',
  logoHint: 'Shown at most 480×160 pixels, re-encoded by sspr.',
  logoFile: 'PNG or JPEG file',
  logoFileHint: 'At most 256 KiB. It is re-encoded by sspr and fitted into 480×160 pixels; SVG is not accepted.',
  upload: 'Upload the logo',
  logoSet: 'The logo was saved.',
  removeLogo: 'Remove the logo',
} as const;

export interface LookPageProps {
  readonly tenantName: string;
  readonly activeAdmins: number;
  readonly csrf: string;
  readonly look: TenantLook;
  /** The form's values (the saved look, or what was posted when refused). */
  readonly values: Readonly<Record<string, string>>;
  readonly logoSrc: string | null;
  readonly notice: 'saved' | 'unchanged' | 'logoRemoved' | 'logoSet' | null;
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

export function LookPage(p: LookPageProps): VNode {
  const problemOf = (field: string) => p.problems.find((x) => x.field === field)?.message;
  return (
    <AdminLayout
      title={LOOK_TEXT.title}
      section="/admin/policy"
      tenantName={p.tenantName}
      activeAdmins={p.activeAdmins}
    >
      <h1>{LOOK_TEXT.title}</h1>
      <p>{LOOK_TEXT.intro}</p>
      {p.notice ? (
        <p class="ok" role="status">
          {LOOK_TEXT[p.notice]}
        </p>
      ) : null}
      {p.problems.length > 0 ? (
        <div class="error" role="alert">
          <p>{LOOK_TEXT.problems}</p>
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
          label={LOOK_TEXT.displayName}
          hint={LOOK_TEXT.displayNameHint}
          value={p.values.displayName ?? ''}
          problem={problemOf('displayName')}
          maxLength={DISPLAY_NAME_MAX * 2}
        />
        <Field
          id="primaryColour"
          label={LOOK_TEXT.colour}
          hint={LOOK_TEXT.colourHint}
          value={p.values.primaryColour ?? ''}
          problem={problemOf('primaryColour')}
          maxLength={32}
        />
        <Field
          id="host"
          label={LOOK_TEXT.host}
          hint={LOOK_TEXT.hostHint}
          value={p.values.host ?? ''}
          problem={problemOf('host')}
          maxLength={300}
        />
        <fieldset>
          <legend>{LOOK_TEXT.notes}</legend>
          <span class="hint">{LOOK_TEXT.notesHint}</span>
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
        <button type="submit">{LOOK_TEXT.save}</button>
      </form>
      <h2>{LOOK_TEXT.logo}</h2>
      {p.logoSrc && p.look.logo ? (
        <>
          <p>
            <img src={p.logoSrc} width={p.look.logo.width} height={p.look.logo.height} alt={LOOK_TEXT.logo} />
          </p>
          <p class="hint">{LOOK_TEXT.logoHint}</p>
          <form method="post" action="/admin/look/logo/remove">
            <input type="hidden" name="_csrf" value={p.csrf} />
            <button type="submit" class="secondary">
              {LOOK_TEXT.removeLogo}
            </button>
          </form>
        </>
      ) : (
        <p>{LOOK_TEXT.logoNone}</p>
      )}
      <form method="post" action="/admin/look/logo" enctype="multipart/form-data">
        <input type="hidden" name="_csrf" value={p.csrf} />
        <p>
          <label for="logo">{LOOK_TEXT.logoFile}</label>
          <span class="hint" id="logo-hint">
            {LOOK_TEXT.logoFileHint}
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
        <button type="submit">{LOOK_TEXT.upload}</button>
      </form>
    </AdminLayout>
  );
}
