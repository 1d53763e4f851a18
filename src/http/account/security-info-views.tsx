import type { VNode } from 'preact';
import type { MethodKind } from '../../core/contact.ts';
import { formatWhen } from '../../core/message-templates.ts';
import { FORM_RELOADED, STEP_PROBLEMS, type ProblemText } from '../../core/ui-text.ts';
import type {
  MethodStatus,
  PendingView,
  SecurityInfoError,
  SecurityInfoOverview,
} from '../../service/security-info-service.ts';
import { Layout } from '../views/layout.tsx';

/** Words of the "My security info" pages (one place, keyed by page; ready for translation). */
export const SECURITY_TEXT = {
  overview: {
    title: 'Security info',
    intro:
      'We use these to confirm it is you when you reset your password. Keep them up to date: a code is sent to them.',
    notRegistered: 'Not registered',
    notConfirmed: 'Not confirmed yet',
    confirmedOn: 'Confirmed {when}',
    coolingOff:
      'Changed recently: for your security it can be used to reset your password from {when}. Until then it counts as not registered.',
    reconfirmDue: 'Still correct? Please confirm it, or change it.',
    reviewTitle: 'Is your security info still correct?',
    reviewIntro:
      'It has been a while since you confirmed it. Select "Still correct? Confirm" and we send a code to check it still reaches you, or change it.',
    adminNeedsBoth:
      'Administrators need both an alternate email and a mobile phone, confirmed, before they can use the admin console.',
    confirm: 'Still correct? Confirm',
    change: 'Change',
    add: 'Add',
    back: 'Back to your account',
    done: {
      email: 'Your alternate email was confirmed.',
      phone: 'Your mobile phone was confirmed.',
    },
    doneCoolingOff: 'For your security it can be used to reset your password from {when}.',
  },
  kinds: {
    email: {
      name: 'Alternate email',
      noun: 'alternate email',
      addTitle: 'Add an alternate email',
      changeTitle: 'Change your alternate email',
      label: 'Alternate email address',
      hint: 'A personal address that is not your work email, like name@example.com. We send a code to it.',
      other: 'Use a different email address',
    },
    phone: {
      name: 'Mobile phone',
      noun: 'mobile phone',
      addTitle: 'Add a mobile phone',
      changeTitle: 'Change your mobile phone',
      label: 'Mobile phone number',
      hint: 'Your mobile number with its country code, like +44 7700 900123. We send a code by text message.',
      other: 'Use a different number',
    },
  },
  form: {
    current: 'Now registered: {value}.',
    submit: 'Send code',
    cancel: 'Cancel',
  },
  confirm: {
    title: 'Enter the code',
    sent: 'We sent a 6-digit code to {value}. It expires at {when}.',
    reconfirm: 'To confirm your {noun} is still correct, enter the code we sent to it.',
    label: 'Security code',
    hint: '6 digits, like 123456.',
    submit: 'Confirm',
    resend: 'Send a new code',
    resent: 'We sent a new code. The previous one no longer works.',
    resendAfter: 'You can ask for a new code after {when}.',
    noCodesLeft: 'No more codes can be sent for this change. Start again later.',
  },
  problems: {
    email_invalid: { title: 'Check the email address', message: 'Type an email address like name@example.com.' },
    phone_invalid: STEP_PROBLEMS.phone_invalid,
    method_unchanged: {
      title: 'This is already registered',
      message: 'That is the one we have. If it is still correct, go back and select "Still correct? Confirm".',
    },
    email_is_login: {
      title: 'Use another email address',
      message:
        'Your alternate email must be different from your work email, so that you can still reach it when you cannot sign in.',
    },
    phone_country_not_allowed: {
      title: 'This number cannot be used',
      message:
        'Your organisation does not send text messages to numbers in this country. Use another mobile number, or contact your administrator.',
    },
    sms_unavailable: {
      title: 'Text messages are not available',
      message:
        'This service cannot send text messages right now, so a mobile phone cannot be confirmed. Contact your administrator.',
    },
    resend_too_soon: STEP_PROBLEMS.resend_too_soon,
    too_many_codes: {
      title: 'No more codes for now',
      message: 'We have sent as many codes as one change allows. Start again later, or contact your administrator.',
    },
    sending_limit: {
      title: 'Please try again later',
      message: 'We have sent several messages to your account recently. Wait a while, then try again.',
    },
    nothing_pending: {
      title: 'Start again',
      message: 'There is no change waiting for a code in this browser. Start again from your security info.',
    },
    invalid_code: {
      title: 'Invalid Security Code',
      message:
        'This security code does not match the code we sent, or it has expired. Type it again, or ask for a new code.',
    },
    code_malformed: STEP_PROBLEMS.code_malformed,
    csrf_invalid: FORM_RELOADED,
  } satisfies Record<SecurityInfoError | 'csrf_invalid', ProblemText>,
} as const;

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (m, key: string) => values[key] ?? m);
}

function when(t: number): string {
  return formatWhen(new Date(t).toISOString());
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

function Csrf({ token }: { token: string }): VNode {
  return <input type="hidden" name="_csrf" value={token} />;
}

function MethodSection(p: { kind: MethodKind; status: MethodStatus | null; csrf: string; now: number }): VNode {
  const t = SECURITY_TEXT.overview;
  const k = SECURITY_TEXT.kinds[p.kind];
  const s = p.status;
  const headingId = `${p.kind}-heading`;
  return (
    <section aria-labelledby={headingId}>
      <h2 id={headingId}>{k.name}</h2>
      <p>
        <span class="masked" data-method={p.kind}>
          {s ? s.maskedValue : t.notRegistered}
        </span>
      </p>
      {s ? (
        <p class="hint">{s.verifiedAt === null ? t.notConfirmed : fill(t.confirmedOn, { when: when(s.verifiedAt) })}</p>
      ) : null}
      {s?.usableFrom ? <p class="notice">{fill(t.coolingOff, { when: when(s.usableFrom) })}</p> : null}
      {s?.reconfirmDue ? <p class="notice">{t.reconfirmDue}</p> : null}
      <div class="button-row">
        {s && s.verifiedAt !== null && s.reconfirmDue ? (
          <form method="post" action={`/account/security/${p.kind}/reconfirm`}>
            <Csrf token={p.csrf} />
            <button type="submit" class="button reconfirm" aria-label={`${t.confirm}: ${k.noun}`}>
              {t.confirm}
            </button>
          </form>
        ) : null}
        <a
          href={`/account/security/${p.kind}`}
          class={s?.reconfirmDue ? 'button secondary' : 'button'}
          aria-label={`${s ? t.change : t.add} ${k.noun}`}
        >
          {s ? t.change : t.add}
        </a>
      </div>
    </section>
  );
}

export function SecurityInfoPage(p: {
  csrf: string;
  overview: SecurityInfoOverview;
  isAdmin: boolean;
  review: boolean;
  notice: string | null;
  problem: ProblemText | null;
  now: number;
}): VNode {
  const t = SECURITY_TEXT.overview;
  const o = p.overview;
  const adminMissing = p.isAdmin && (o.email?.verifiedAt == null || o.phone?.verifiedAt == null);
  return (
    <Layout title={t.title}>
      <h1>{t.title}</h1>
      {p.notice ? (
        <p class="success" role="status">
          {p.notice}
        </p>
      ) : null}
      <ProblemBox problem={p.problem} />
      {p.review && o.reconfirm.length > 0 ? (
        <div class="notice" role="status">
          <h2 class="problem-title">{t.reviewTitle}</h2>
          <p>{t.reviewIntro}</p>
        </div>
      ) : null}
      {adminMissing ? <p class="notice">{t.adminNeedsBoth}</p> : null}
      <p>{t.intro}</p>
      <MethodSection kind="email" status={o.email} csrf={p.csrf} now={p.now} />
      <MethodSection kind="phone" status={o.phone} csrf={p.csrf} now={p.now} />
      <p>
        <a href="/account">{t.back}</a>
      </p>
    </Layout>
  );
}

/** The notice shown after a successful confirmation. */
export function confirmedNotice(kind: MethodKind, status: MethodStatus | null): string {
  const t = SECURITY_TEXT.overview;
  const base = t.done[kind];
  return status?.usableFrom ? `${base} ${fill(t.doneCoolingOff, { when: when(status.usableFrom) })}` : base;
}

export function MethodFormPage(p: {
  csrf: string;
  kind: MethodKind;
  current: MethodStatus | null;
  value: string;
  problem: ProblemText | null;
}): VNode {
  const k = SECURITY_TEXT.kinds[p.kind];
  const f = SECURITY_TEXT.form;
  const title = p.current ? k.changeTitle : k.addTitle;
  const describedBy = p.problem ? 'value-hint problem' : 'value-hint';
  return (
    <Layout title={title}>
      <h1>{title}</h1>
      <ProblemBox problem={p.problem} />
      {p.current ? <p>{fill(f.current, { value: p.current.maskedValue })}</p> : null}
      <form method="post" action={`/account/security/${p.kind}`} class="stack reset-form">
        <Csrf token={p.csrf} />
        <div class="field">
          <label for="value">{k.label}</label>
          <p class="hint" id="value-hint">
            {k.hint}
          </p>
          {p.kind === 'email' ? (
            <input
              id="value"
              name="value"
              type="email"
              autocomplete="email"
              required
              value={p.value}
              aria-describedby={describedBy}
              aria-invalid={p.problem ? 'true' : undefined}
            />
          ) : (
            <input
              id="value"
              name="value"
              type="tel"
              autocomplete="tel"
              required
              value={p.value}
              aria-describedby={describedBy}
              aria-invalid={p.problem ? 'true' : undefined}
            />
          )}
        </div>
        <button type="submit">{f.submit}</button>
      </form>
      <p>
        <a href="/account/security">{f.cancel}</a>
      </p>
    </Layout>
  );
}

export function ConfirmCodePage(p: {
  csrf: string;
  pending: PendingView;
  problem: ProblemText | null;
  notice: string | null;
  now: number;
}): VNode {
  const c = SECURITY_TEXT.confirm;
  const k = SECURITY_TEXT.kinds[p.pending.kind];
  const v = p.pending;
  const wait = v.resendAvailableAt !== null && v.resendAvailableAt > p.now;
  return (
    <Layout title={c.title}>
      <h1>{c.title}</h1>
      {p.notice ? (
        <p class="success" role="status">
          {p.notice}
        </p>
      ) : null}
      <ProblemBox problem={p.problem} />
      {v.purpose === 'reconfirm' ? <p>{fill(c.reconfirm, { noun: k.noun })}</p> : null}
      <p>{fill(c.sent, { value: v.maskedValue, when: when(v.expiresAt) })}</p>
      <form method="post" action={`/account/security/${v.kind}/confirm`} class="stack reset-form">
        <Csrf token={p.csrf} />
        <div class="field">
          <label for="code">{c.label}</label>
          <p class="hint" id="code-hint">
            {c.hint}
          </p>
          <input
            id="code"
            name="code"
            type="text"
            class="code-input"
            inputmode="numeric"
            autocomplete="one-time-code"
            maxLength={12}
            required
            value=""
            aria-describedby={p.problem ? 'code-hint problem' : 'code-hint'}
            aria-invalid={p.problem ? 'true' : undefined}
          />
        </div>
        <button type="submit">{c.submit}</button>
      </form>
      <div class="other-options">
        {v.codesLeft <= 0 ? (
          <p>{c.noCodesLeft}</p>
        ) : (
          <>
            {wait ? <p class="hint">{fill(c.resendAfter, { when: when(v.resendAvailableAt!) })}</p> : null}
            <form method="post" action={`/account/security/${v.kind}/resend`}>
              <Csrf token={p.csrf} />
              <button type="submit" class="secondary">
                {c.resend}
              </button>
            </form>
          </>
        )}
        <a href={`/account/security/${v.kind}`}>{k.other}</a>
        <a href="/account/security">{SECURITY_TEXT.form.cancel}</a>
      </div>
    </Layout>
  );
}
