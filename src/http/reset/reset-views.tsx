import { createContext, type ComponentChildren, type HTMLAttributes, type VNode } from 'preact';
import { useContext } from 'preact/hooks';
import { CONTACT_ADMIN, formatText, RESET_PAGE_TEXT, type ProblemText } from '../../core/ui-text.ts';
import { catalogue, messageTemplate, pluralForms, type MessageId } from '../../core/i18n.ts';
import { helpText } from '../../core/message-templates.ts';
import type { FlowView } from '../../service/reset-service.ts';
import { useI18n, useT, type PageI18n } from '../views/i18n-context.tsx';
import { Layout } from '../views/layout.tsx';
import { PasskeyForm } from '../views/passkey-form.tsx';
import { UnlockOffer } from './unlock-views.tsx';

/**
 * The reset pages. Every word comes from `core/ui-text.ts`; preact escapes every value. No page
 * ever shows a code or a password that was typed: those inputs are always rendered empty.
 */

declare module 'preact' {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- preact's documented way to type a custom element
  namespace JSX {
    interface IntrinsicElements {
      /** The ALTCHA web component (altcha/external); it adds a hidden input named `name` to its form. */
      'altcha-widget': HTMLAttributes<HTMLElement> & {
        challenge: string;
        name: string;
        auto?: 'off' | 'onfocus' | 'onload' | 'onsubmit';
        configuration?: string;
      };
    }
  }
}

export const ALTCHA_SCRIPT = '/static/altcha-setup.js';
export const ALTCHA_STYLESHEET = '/static/altcha/altcha.css';
export const COUNTDOWN_SCRIPT = '/static/reset.js';
/** The passkey ceremony in the browser (navigator.credentials), for the reset's passkey step and My security info. */
export const PASSKEY_SCRIPT = '/static/passkey.js';

/** The ALTCHA widget's own words (its `Strings`, without the footer it does not show), from the catalogues. */
const CAPTCHA_STRINGS = [
  'ariaLinkLabel',
  'cancel',
  'enterCode',
  'enterCodeAria',
  'enterCodeFromImage',
  'error',
  'expired',
  'getAudioChallenge',
  'label',
  'loading',
  'reload',
  'verify',
  'verificationRequired',
  'verified',
  'verifying',
  'waitAlert',
] as const;

/**
 * The ALTCHA widget (solved when its form is submitted) with its words in the page's language:
 * `data-strings` carries them as JSON and `altcha-setup.js` registers them for the page's `lang`
 * (ALTCHA 3 takes its words from `$altcha.i18n`, by language, not from an attribute).
 */
export function CaptchaWidget({ challenge }: { readonly challenge: string }): VNode {
  const t = useT();
  const strings = Object.fromEntries(CAPTCHA_STRINGS.map((k) => [k, t(`captcha.${k}`)]));
  return (
    <altcha-widget
      challenge={challenge}
      name="altcha"
      auto="onsubmit"
      configuration='{"hideFooter":true}'
      data-strings={JSON.stringify({ ...strings, footer: '' })}
    ></altcha-widget>
  );
}

export interface Helpdesk {
  readonly url: string | null;
  readonly email: string | null;
}

const RESET_TEXT_SOURCE = { ...RESET_PAGE_TEXT, contact: CONTACT_ADMIN };
type ResetText = {
  readonly [P in keyof typeof RESET_TEXT_SOURCE]: { readonly [K in keyof (typeof RESET_TEXT_SOURCE)[P]]: string };
};
const resetTexts = new Map<string, ResetText>();
/** The reset texts with ICU plurals (`t(id, { minutes })`, never `formatText`). */
const PLURAL_IDS: ReadonlySet<string> = new Set([
  'reset.common.expiresIn',
  'reset.emailCode.whatNext',
  'reset.newPassword.directoryHistory',
]);

/**
 * Every word of the reset pages in the page's language (`reset.<page>.<key>` in the catalogues),
 * shaped like RESET_PAGE_TEXT; `{name}` placeholders stay in, for `formatText` and `fillNodes`.
 */
function resetTextIn(i18n: Pick<PageI18n, 'locale' | 't'>): ResetText {
  let text = resetTexts.get(i18n.locale);
  if (!text) {
    text = Object.fromEntries(
      Object.entries(RESET_TEXT_SOURCE).map(([page, texts]) => [
        page,
        Object.fromEntries(
          Object.keys(texts).map((key) => {
            const id = `reset.${page}.${key}` as MessageId;
            // a plural message is formatted with t() where it is used; here only its source stands
            return [key, PLURAL_IDS.has(id) ? (catalogue(i18n.locale)[id] ?? '') : messageTemplate(i18n.t, id)];
          }),
        ),
      ]),
    ) as ResetText;
    resetTexts.set(i18n.locale, text);
  }
  return text;
}

/** The reset pages' words in the page's language (a hook: call it first in a component). */
function useResetText(): ResetText {
  return resetTextIn(useI18n());
}

/** Replaces `{name}` placeholders of a catalogue text with nodes (links, `<time>` elements). */
export function fillNodes(template: string, values: Readonly<Record<string, ComponentChildren>>): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  let last = 0;
  for (const m of template.matchAll(/\{([a-zA-Z]+)\}/g)) {
    const name = m[1]!;
    if (!Object.hasOwn(values, name)) continue;
    out.push(template.slice(last, m.index));
    out.push(values[name]);
    last = m.index + m[0].length;
  }
  out.push(template.slice(last));
  return out;
}

/**
 * The "messages are delayed" notice (core/delivery-health.ts, text from MESSAGES_DELAYED): the
 * pages plugin provides it for every reset page it renders, the same for every login and state.
 */
export const MessagesDelayedContext = createContext<ProblemText | null>(null);

/** `page` with the notice (null: none) available to every `MessagesDelayed` inside it. */
export function withMessagesDelayed(notice: ProblemText | null, page: VNode): VNode {
  return <MessagesDelayedContext.Provider value={notice}>{page}</MessagesDelayedContext.Provider>;
}

/** Shown right under each reset page's heading while email or SMS has been failing for over a minute. */
function MessagesDelayed(): VNode | null {
  const notice = useContext(MessagesDelayedContext);
  if (!notice) return null;
  return (
    <div class="notice messages-delayed" role="status">
      <h2 class="notice-title">{notice.title}</h2>
      <p>{notice.message}</p>
    </div>
  );
}

function Csrf({ token }: { token: string }): VNode {
  return <input type="hidden" name="_csrf" value={token} />;
}

/** A one-button form (secondary actions: resend, use phone, change number…). */
function ActionForm({ action, csrf, label }: { action: string; csrf: string; label: string }): VNode {
  return (
    <form method="post" action={action} class="inline-form">
      <Csrf token={csrf} />
      <button type="submit" class="secondary">
        {label}
      </button>
    </form>
  );
}

/** The problem box of a form page: announced by screen readers, referenced by the field it concerns. */
function ProblemBox({ problem }: { problem: ProblemText }): VNode {
  return (
    <div class="error" role="alert" id="problem">
      <h2 class="problem-title">{problem.title}</h2>
      <p>{problem.message}</p>
    </div>
  );
}

function isWebUrl(url: string): boolean {
  return /^https?:\/\/[^\s"'<>]+$/i.test(url);
}

function isEmail(email: string): boolean {
  return /^[^\s@"'<>]+@[^\s@"'<>]+$/.test(email);
}

/**
 * Message `help.contact` (the one wording, `helpText` of the message catalogue) with the help
 * desk's page and email as links.
 */
function HelpContact({ email, url }: { email: string | null; url: string | null }): VNode {
  const text = helpText({ helpdeskEmail: email, helpdeskUrl: url });
  const links = [email, url].filter((v): v is string => v !== null);
  const parts: (string | VNode)[] = [];
  let rest = text;
  while (rest.length > 0) {
    const next = links
      .map((value) => ({ value, at: rest.indexOf(value) }))
      .filter((l) => l.at >= 0)
      .sort((a, b) => a.at - b.at)[0];
    if (!next) {
      parts.push(rest);
      break;
    }
    parts.push(rest.slice(0, next.at));
    const href = next.value === email ? `mailto:${email}` : next.value;
    parts.push(<a href={href}>{next.value}</a>);
    rest = rest.slice(next.at + next.value.length);
  }
  return <p>{parts}</p>;
}

/** "Still stuck?": the tenant's help desk when it may be shown, the generic advice, and the help request form (login prefilled when known). */
export function ContactBlock({ helpdesk, login }: { helpdesk: Helpdesk | null; login?: string }): VNode {
  const T = useResetText();
  const url = helpdesk?.url && isWebUrl(helpdesk.url) ? helpdesk.url : null;
  const email = helpdesk?.email && isEmail(helpdesk.email) ? helpdesk.email : null;
  return (
    <section class="contact" aria-labelledby="contact-heading">
      <h2 id="contact-heading">{T.contact.title}</h2>
      {url || email ? <HelpContact email={email} url={url} /> : null}
      <p>{T.contact.message}</p>
      <p>
        <a href={login ? `/help?login=${encodeURIComponent(login)}` : '/help'} class="button secondary">
          {T.contact.helpLink}
        </a>
      </p>
    </section>
  );
}

function StartNewLink(): VNode {
  const T = useResetText();
  return (
    <a href="/reset" class="button secondary">
      {T.common.startNew}
    </a>
  );
}

function StartNew(): VNode {
  return (
    <p class="button-row">
      <StartNewLink />
    </p>
  );
}

/** The support reference (`SUP-…`) the consoles can look up; nothing on pages that need none. */
function Reference({ reference }: { reference: string | null }): VNode | null {
  const T = useResetText();
  if (reference === null) return null;
  return (
    <p class="reference">{fillNodes(T.common.reference, { id: <code id="support-reference">{reference}</code> })}</p>
  );
}

/** "Step N of M" (or "Step N") and the flow's deadline, with the minutes left. */
export function Progress({ view, now }: { view: FlowView; now: number }): VNode {
  const T = useResetText();
  const i18n = useI18n();
  const d = new Date(view.expiresAt);
  // the person's language, the tenant's time zone, the zone named ("18:52 CET")
  const clock = i18n.time(d);
  const minutes = Math.ceil((view.expiresAt - now) / 60_000);
  const left =
    minutes <= 0
      ? T.common.expiresSoon
      : minutes === 1
        ? T.common.expiresInOne
        : i18n.t('reset.common.expiresIn', { minutes });
  const step =
    view.stepsTotal === null
      ? formatText(T.common.step, { step: view.step })
      : formatText(T.common.stepOf, { step: view.step, total: view.stepsTotal });
  return (
    <div class="progress" role="group" aria-label={T.common.stepLabel}>
      <p class="step">{step}</p>
      <p class="expires">
        {fillNodes(T.common.expiresAt, {
          time: (
            <time
              dateTime={d.toISOString()}
              data-deadline={String(view.expiresAt)}
              data-in-forms={JSON.stringify(pluralForms(i18n.locale, 'reset.common.expiresIn', 'minutes'))}
              data-in-one={T.common.expiresInOne}
              data-in-soon={T.common.expiresSoon}
            >
              {clock}
            </time>
          ),
        })}{' '}
        (<span class="time-left">{left}</span>).
      </p>
    </div>
  );
}

// ---- start ------------------------------------------------------------------------------

export interface StartPageProps {
  readonly csrf: string;
  /**
   * The ALTCHA challenge as JSON, given to the widget in the page: the CSP has no `connect-src`,
   * so the widget may not fetch it (GET /reset/challenge serves the same to other clients).
   */
  readonly challenge: string;
  /** What was typed, shown again after a problem (never a secret). */
  readonly login: string;
  readonly problem: ProblemText | null;
  /** Which field the problem is about. */
  readonly problemField?: 'login' | 'captcha';
}

/** The page as a component, so that its words come from the page's language. */
export function StartPage(p: StartPageProps): VNode {
  return <StartPageBody {...p} />;
}

function StartPageBody({ csrf, challenge, login, problem, problemField }: StartPageProps): VNode {
  const T = useResetText();
  const loginInvalid = problem !== null && problemField === 'login';
  return (
    <Layout title={T.start.title} scripts={[ALTCHA_SCRIPT]} stylesheets={[ALTCHA_STYLESHEET]}>
      <h1>{T.start.title}</h1>
      <MessagesDelayed />
      <p>{T.start.intro}</p>
      {problem ? <ProblemBox problem={problem} /> : null}
      <form method="post" action="/reset" class="reset-form">
        <Csrf token={csrf} />
        <label for="login">{T.start.loginLabel}</label>
        <span class="hint" id="login-hint">
          {T.start.loginHint}
        </span>
        <input
          id="login"
          name="login"
          type="text"
          inputMode="email"
          autoComplete="username"
          autoCapitalize="none"
          spellcheck={false}
          required
          maxLength={320}
          value={login}
          aria-describedby={loginInvalid ? 'problem login-hint' : 'login-hint'}
          aria-invalid={loginInvalid ? 'true' : undefined}
        />
        <fieldset class="captcha">
          <legend>{T.start.captchaLabel}</legend>
          <span class="hint">{T.start.captchaHint}</span>
          <CaptchaWidget challenge={challenge} />
          <noscript>
            <p class="notice">{T.start.noScript}</p>
          </noscript>
        </fieldset>
        <button type="submit">{T.start.submit}</button>
      </form>
    </Layout>
  );
}

// ---- steps ------------------------------------------------------------------------------

export interface StepPageProps {
  readonly view: FlowView;
  readonly now: number;
  readonly csrf: string;
  readonly problem: ProblemText | null;
  /** Whether the problem is about the page's main field (it then gets aria-invalid). */
  readonly fieldProblem: boolean;
  /** How long a code works, in minutes (the hint on the email page). */
  readonly codeMinutes: number;
  readonly helpdesk: Helpdesk | null;
  /** On the passkey step: the options (JSON) for `navigator.credentials.get`, with the flow's new challenge. */
  readonly passkeyOptions?: string | null;
}

function describedBy(hintId: string, problem: ProblemText | null): string {
  return problem ? `problem ${hintId}` : hintId;
}

function CodeForm({
  csrf,
  label,
  hint,
  button,
  problem,
  fieldProblem,
}: {
  csrf: string;
  label: string;
  hint: string;
  button: string;
  problem: ProblemText | null;
  fieldProblem: boolean;
}): VNode {
  return (
    <form method="post" action="/reset/flow/code" class="reset-form">
      <Csrf token={csrf} />
      <label for="code">{label}</label>
      <span class="hint" id="code-hint">
        {hint}
      </span>
      <input
        id="code"
        name="code"
        type="text"
        inputMode="numeric"
        autoComplete="one-time-code"
        pattern="[0-9 ]*"
        maxLength={12}
        required
        class="code-input"
        value=""
        aria-describedby={describedBy('code-hint', problem)}
        aria-invalid={problem && fieldProblem ? 'true' : undefined}
      />
      <button type="submit">{button}</button>
    </form>
  );
}

function EmailCodeStep(p: StepPageProps): VNode {
  const T = useResetText();
  const t = useT();
  const { view, csrf, problem } = p;
  return (
    <>
      <h1>{T.emailCode.title}</h1>
      <MessagesDelayed />
      <Progress view={view} now={p.now} />
      {problem ? <ProblemBox problem={problem} /> : null}
      <p>{fillNodes(T.emailCode.sentTo, { email: <strong class="masked">{view.maskedEmail}</strong> })}</p>
      <p>{t('reset.emailCode.whatNext', { minutes: p.codeMinutes })}</p>
      <CodeForm
        csrf={csrf}
        label={T.emailCode.codeLabel}
        hint={T.emailCode.codeHint}
        button={T.emailCode.verify}
        problem={problem}
        fieldProblem={p.fieldProblem}
      />
      <div class="other-options">
        <p>{T.emailCode.noEmail}</p>
        <ResendForm view={view} csrf={csrf} now={p.now} label={T.emailCode.resend} />
        {view.canUsePhone ? (
          <ActionForm action="/reset/flow/use-phone" csrf={csrf} label={T.emailCode.usePhone} />
        ) : null}
        <UseAuthenticator view={view} csrf={csrf} />
        <UsePasskey view={view} csrf={csrf} />
      </div>
    </>
  );
}

/** "Use your passkey": on the first page where the gate policy counts passkeys for the class of account, and at a second gate where the account has one. */
function UsePasskey({ view, csrf }: { view: FlowView; csrf: string }): VNode | null {
  const t = useT();
  if (!view.canUsePasskey) return null;
  return <ActionForm action="/reset/flow/use-passkey" csrf={csrf} label={t('reset.passkey.use')} />;
}

/** The passkey gate: the browser asks the person's passkey (user verification required); the answer is checked on the server. */
function PasskeyStep(p: StepPageProps): VNode {
  const t = useT();
  const { view, csrf, problem } = p;
  const required = view.stepsTotal !== null && !view.canUsePhone && !view.canUseAuthenticator;
  return (
    <>
      <h1>{t('reset.passkey.title')}</h1>
      <Progress view={view} now={p.now} />
      {problem ? <ProblemBox problem={problem} /> : null}
      <p>{t('reset.passkey.intro')}</p>
      {required ? <p>{t('reset.passkey.required')}</p> : null}
      <PasskeyForm
        action="/reset/flow/passkey"
        kind="get"
        options={p.passkeyOptions ?? ''}
        button={t('reset.passkey.button')}
        texts={{
          unsupported: t('reset.passkey.unsupported'),
          waiting: t('reset.passkey.waiting'),
          cancelled: t('reset.passkey.cancelled'),
        }}
      >
        <Csrf token={csrf} />
      </PasskeyForm>
      <p class="hint">{t('reset.passkey.noSupport')}</p>
      <div class="other-options">
        {view.canUsePhone ? (
          <ActionForm action="/reset/flow/use-phone" csrf={csrf} label={t('reset.totpCode.usePhone')} />
        ) : null}
        <UseAuthenticator view={view} csrf={csrf} />
        {view.canGoBackToEmail ? (
          <ActionForm action="/reset/flow/back-to-email" csrf={csrf} label={t('reset.totpCode.backToEmail')} />
        ) : null}
      </div>
    </>
  );
}

/** "Enter a code from my authenticator app": on the first page where the gate policy counts the app for the class of account, and at a second gate where the account has one. */
function UseAuthenticator({ view, csrf }: { view: FlowView; csrf: string }): VNode | null {
  const t = useT();
  if (!view.canUseAuthenticator) return null;
  return <ActionForm action="/reset/flow/use-authenticator" csrf={csrf} label={t('reset.totpCode.use')} />;
}

/** A code from the authenticator app (TOTP): one of the gates, checked like any short code. */
function TotpCodeStep(p: StepPageProps): VNode {
  const t = useT();
  const { view, csrf, problem } = p;
  return (
    <>
      <h1>{t('reset.totpCode.title')}</h1>
      <Progress view={view} now={p.now} />
      {problem ? <ProblemBox problem={problem} /> : null}
      <p>{t('reset.totpCode.intro')}</p>
      <CodeForm
        csrf={csrf}
        label={t('reset.totpCode.codeLabel')}
        hint={t('reset.totpCode.codeHint')}
        button={t('reset.totpCode.verify')}
        problem={problem}
        fieldProblem={p.fieldProblem}
      />
      <div class="other-options">
        {view.canUsePhone ? (
          <ActionForm action="/reset/flow/use-phone" csrf={csrf} label={t('reset.totpCode.usePhone')} />
        ) : null}
        <UsePasskey view={view} csrf={csrf} />
        {view.canGoBackToEmail ? (
          <ActionForm action="/reset/flow/back-to-email" csrf={csrf} label={t('reset.totpCode.backToEmail')} />
        ) : null}
      </div>
    </>
  );
}

function ResendForm({ view, csrf, now, label }: { view: FlowView; csrf: string; now: number; label: string }): VNode {
  const T = useResetText();
  const i18n = useI18n();
  if (view.codesLeft <= 0) return <p>{T.emailCode.noCodesLeft}</p>;
  const wait = view.resendAvailableAt !== null && view.resendAvailableAt > now;
  const at = wait ? new Date(view.resendAvailableAt!) : null;
  return (
    <>
      {at ? (
        <p class="hint">
          {fillNodes(T.emailCode.resendAfter, {
            time: <time dateTime={at.toISOString()}>{i18n.time(at, true)}</time>,
          })}
        </p>
      ) : null}
      <ActionForm action="/reset/flow/resend" csrf={csrf} label={label} />
    </>
  );
}

function PhoneNumberStep(p: StepPageProps): VNode {
  const T = useResetText();
  const { view, csrf, problem } = p;
  return (
    <>
      <h1>{T.phoneNumber.title}</h1>
      <MessagesDelayed />
      <Progress view={view} now={p.now} />
      {problem ? <ProblemBox problem={problem} /> : null}
      <p>{T.phoneNumber.intro}</p>
      {view.maskedPhone ? (
        <p>{fillNodes(T.phoneNumber.masked, { phone: <strong class="masked">{view.maskedPhone}</strong> })}</p>
      ) : null}
      <form method="post" action="/reset/flow/phone" class="reset-form">
        <Csrf token={csrf} />
        <label for="phone">{T.phoneNumber.phoneLabel}</label>
        <span class="hint" id="phone-hint">
          {T.phoneNumber.phoneHint}
        </span>
        <input
          id="phone"
          name="phone"
          type="tel"
          autoComplete="tel"
          maxLength={32}
          required
          value=""
          aria-describedby={describedBy('phone-hint', problem)}
          aria-invalid={problem && p.fieldProblem ? 'true' : undefined}
        />
        <button type="submit">{T.phoneNumber.submit}</button>
      </form>
      {view.canGoBackToEmail || view.canUseAuthenticator || view.canUsePasskey ? (
        <div class="other-options">
          {view.canGoBackToEmail ? (
            <ActionForm action="/reset/flow/back-to-email" csrf={csrf} label={T.phoneNumber.backToEmail} />
          ) : null}
          <UseAuthenticator view={view} csrf={csrf} />
          <UsePasskey view={view} csrf={csrf} />
        </div>
      ) : null}
    </>
  );
}

function SmsCodeStep(p: StepPageProps): VNode {
  const T = useResetText();
  const { view, csrf, problem } = p;
  return (
    <>
      <h1>{T.smsCode.title}</h1>
      <MessagesDelayed />
      <Progress view={view} now={p.now} />
      {problem ? <ProblemBox problem={problem} /> : null}
      <p>
        {view.maskedPhone
          ? fillNodes(T.smsCode.sentTo, { phone: <strong class="masked">{view.maskedPhone}</strong> })
          : T.smsCode.sentToUnknown}
      </p>
      <CodeForm
        csrf={csrf}
        label={T.smsCode.codeLabel}
        hint={T.smsCode.codeHint}
        button={T.smsCode.verify}
        problem={problem}
        fieldProblem={p.fieldProblem}
      />
      <p class="hint">{T.smsCode.twoStepHint}</p>
      <div class="other-options">
        <ResendForm view={view} csrf={csrf} now={p.now} label={T.smsCode.resend} />
        <ActionForm action="/reset/flow/retype-phone" csrf={csrf} label={T.smsCode.retypePhone} />
        {view.canGoBackToEmail ? (
          <ActionForm action="/reset/flow/back-to-email" csrf={csrf} label={T.smsCode.backToEmail} />
        ) : null}
        <UseAuthenticator view={view} csrf={csrf} />
        <UsePasskey view={view} csrf={csrf} />
      </div>
    </>
  );
}

/** The rules the organisation's directory applies, read from it, shown before the form is sent. */
function DirectoryRulesHint({ rules }: { rules: NonNullable<FlowView['directoryRules']> }): VNode | null {
  const T = useResetText();
  const i18n = useI18n();
  const items = [
    rules.minLength !== null && rules.minLength > 0
      ? formatText(T.newPassword.directoryMinLength, { min: rules.minLength })
      : null,
    rules.complexity ? T.newPassword.directoryComplexity : null,
    rules.history !== null && rules.history > 0 && rules.historyOnReset !== false
      ? i18n.t('reset.newPassword.directoryHistory', { count: rules.history })
      : null,
  ].filter((i): i is string => i !== null);
  if (items.length === 0 && rules.historyOnReset !== false) return null;
  return (
    <div class="hint" id="directory-rules">
      <p>{T.newPassword.directoryRules}</p>
      {items.length > 0 ? (
        <ul>
          {items.map((i) => (
            <li key={i}>{i}</li>
          ))}
        </ul>
      ) : null}
      {rules.historyOnReset === false ? <p>{T.newPassword.directoryNoHistoryOnReset}</p> : null}
    </div>
  );
}

function NewPasswordStep(p: StepPageProps): VNode {
  const T = useResetText();
  const { view, csrf, problem } = p;
  const invalid = problem && p.fieldProblem ? 'true' : undefined;
  return (
    <>
      <h1>{T.newPassword.title}</h1>
      <MessagesDelayed />
      <Progress view={view} now={p.now} />
      {problem ? <ProblemBox problem={problem} /> : null}
      <p>{T.newPassword.intro}</p>
      <form method="post" action="/reset/flow/password" class="reset-form">
        <Csrf token={csrf} />
        <label for="password">{T.newPassword.passwordLabel}</label>
        <span class="hint" id="password-hint">
          {formatText(T.newPassword.minLength, { min: view.passwordMinLength })}
        </span>
        {view.directoryRules ? <DirectoryRulesHint rules={view.directoryRules} /> : null}
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="new-password"
          minLength={view.passwordMinLength}
          maxLength={1024}
          required
          value=""
          aria-describedby={describedBy(
            view.directoryRules ? 'password-hint directory-rules' : 'password-hint',
            problem,
          )}
          aria-invalid={invalid}
        />
        <label for="confirm">{T.newPassword.confirmLabel}</label>
        <input
          id="confirm"
          name="confirm"
          type="password"
          autoComplete="new-password"
          maxLength={1024}
          required
          value=""
          aria-describedby={problem ? 'problem' : undefined}
          aria-invalid={invalid}
        />
        <button type="submit">{T.newPassword.submit}</button>
      </form>
      {view.canUnlock ? <UnlockOffer csrf={csrf} /> : null}
    </>
  );
}

const STEP_PAGES: Readonly<Record<string, 'emailCode' | 'phoneNumber' | 'smsCode' | 'newPassword'>> = {
  email_code: 'emailCode',
  phone_number: 'phoneNumber',
  sms_code: 'smsCode',
  new_password: 'newPassword',
};

/**
 * The page for the flow's current state (a component, so that its words come from the page's
 * language). Terminal states are answered by `CompletedPage`/`ProblemPage`.
 */
export function StepPage(p: StepPageProps): VNode {
  return <StepPageBody {...p} />;
}

function StepPageBody(p: StepPageProps): VNode {
  const T = useResetText();
  const t = useT();
  const body =
    p.view.state === 'email_code' ? (
      <EmailCodeStep {...p} />
    ) : p.view.state === 'phone_number' ? (
      <PhoneNumberStep {...p} />
    ) : p.view.state === 'sms_code' ? (
      <SmsCodeStep {...p} />
    ) : p.view.state === 'totp_code' ? (
      <TotpCodeStep {...p} />
    ) : p.view.state === 'passkey_check' ? (
      <PasskeyStep {...p} />
    ) : (
      <NewPasswordStep {...p} />
    );
  const title =
    p.view.state === 'totp_code'
      ? t('reset.totpCode.title')
      : p.view.state === 'passkey_check'
        ? t('reset.passkey.title')
        : T[STEP_PAGES[p.view.state] ?? 'newPassword'].title;
  const scripts = p.view.state === 'passkey_check' ? [COUNTDOWN_SCRIPT, PASSKEY_SCRIPT] : [COUNTDOWN_SCRIPT];
  return (
    <Layout title={p.problem ? `${p.problem.title} · ${title}` : title} scripts={scripts}>
      {body}
      <ContactBlock helpdesk={p.helpdesk} />
    </Layout>
  );
}

export function CompletedPage(): VNode {
  return <CompletedPageBody />;
}

function CompletedPageBody(): VNode {
  const T = useResetText();
  return (
    <Layout title={T.completed.title}>
      <h1>{T.completed.title}</h1>
      <div class="success" role="status">
        <p>{T.completed.message}</p>
      </div>
      <p>
        <a href="/" class="button">
          {T.completed.signIn}
        </a>
      </p>
    </Layout>
  );
}

// ---- dead ends --------------------------------------------------------------------------

export interface ProblemPageProps {
  readonly problem: ProblemText;
  readonly helpdesk: Helpdesk | null;
  readonly reference: string | null;
}

/** A dead end: what happened, a fresh start, and whom to contact. */
export function ProblemPage({ problem, helpdesk, reference }: ProblemPageProps): VNode {
  return (
    <Layout title={problem.title}>
      <h1>{problem.title}</h1>
      <MessagesDelayed />
      <div class="error" role="alert">
        <p>{problem.message}</p>
      </div>
      <StartNew />
      <ContactBlock helpdesk={helpdesk} />
      <Reference reference={reference} />
    </Layout>
  );
}

/**
 * The seed article's page, word for word: "click here" starts a new reset. When the flow still
 * runs, the person may also type the code again.
 */
export function InvalidCodePage(props: {
  helpdesk: Helpdesk | null;
  canRetry: boolean;
  reference: string | null;
}): VNode {
  return <InvalidCode {...props} />;
}

function InvalidCode({
  helpdesk,
  canRetry,
  reference,
}: {
  helpdesk: Helpdesk | null;
  canRetry: boolean;
  reference: string | null;
}): VNode {
  const T = useResetText();
  const t = useT();
  const title = t('problem.invalid_code.title');
  const message = t('problem.invalid_code.message');
  const linkText = t('problem.invalid_code.linkText');
  // "click here" inside the message becomes the link; where a locale's words do not contain it
  // (the pseudo-locale), the link follows the message
  const at = message.indexOf(linkText);
  const [before, after] = at >= 0 ? [message.slice(0, at), message.slice(at + linkText.length)] : [`${message} `, ''];
  return (
    <Layout title={title}>
      <h1>{title}</h1>
      <MessagesDelayed />
      <div class="error" role="alert">
        <p>
          {before}
          <a href="/reset">{linkText}</a>
          {after}
        </p>
      </div>
      <p class="button-row">
        {canRetry ? (
          <a href="/reset/flow" class="button">
            {T.invalidCode.tryAgain}
          </a>
        ) : null}
        <StartNewLink />
      </p>
      <ContactBlock helpdesk={helpdesk} />
      <Reference reference={reference} />
    </Layout>
  );
}

/** What an email link opens: nothing changes until the person presses Continue (scanners only GET). */
export function LinkPage(p: { token: string; csrf: string }): VNode {
  return <LinkPageBody {...p} />;
}

function LinkPageBody({ token, csrf }: { token: string; csrf: string }): VNode {
  const T = useResetText();
  return (
    <Layout title={T.link.title}>
      <h1>{T.link.title}</h1>
      <MessagesDelayed />
      <p>{T.link.intro}</p>
      <form method="post" action="/reset/link" class="reset-form">
        <Csrf token={csrf} />
        <input type="hidden" name="t" value={token} />
        <button type="submit">{T.link.submit}</button>
      </form>
    </Layout>
  );
}
