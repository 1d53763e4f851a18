import type { VNode } from 'preact';
import type { CallCheckStarted, CallerStatus, CallerWay } from '../../service/caller-verification-service.ts';
import type { MessageId } from '../../core/i18n.ts';
import { useI18n } from '../views/i18n-context.tsx';

/**
 * The caller verification section of an account's page in the admin console and the Technical
 * Support console (issue 13 items 5 and 6): verified or not and until when, "Verify caller", the
 * field for the code the caller reads out, the second operator's approval (Technical Support on an
 * administrator), and the reverse check's phrase. `base` is where its forms post
 * (`…/verify-caller`, `…/verify-caller/confirm`, `…/call-check`, `…/approval`, and with
 * `otherWays` `…/verify-caller/authenticator` and `…/verify-caller/passkey`). The passkey way
 * shows the ticket the caller types on the public page while it is open.
 */
export function CallerSection(p: {
  status: CallerStatus;
  base: string;
  csrf: string;
  /** The reverse check's phrase, shown once after "Show a check phrase". */
  phrase: CallCheckStarted | null;
  /** The public page's address, `https://…/verify-call`; null: no reverse check here (the account's page has it). */
  verifyCallUrl: string | null;
  /** Whether this console offers the authenticator app and passkey ways (their routes exist under `base`). */
  otherWays?: boolean;
  /** The page to load again to see whether the caller confirmed with their passkey (the passkey way). */
  refresh?: string;
  /**
   * Where several sections share a page (the help requests list): a prefix that keeps each one's
   * element ids apart, and a heading one level down (inside the request's own heading).
   */
  idPrefix?: string;
}): VNode {
  const { t, when } = useI18n();
  const v = p.status.verification;
  const pre = p.idPrefix ?? '';
  const Heading = pre ? 'h4' : 'h2';
  const csrf = <input type="hidden" name="_csrf" value={p.csrf} />;
  return (
    <section aria-labelledby={`${pre}caller-title`} class="caller">
      <Heading id={`${pre}caller-title`}>{t('caller.title')}</Heading>
      <p>{t('caller.intro')}</p>
      <p role="status" id={`${pre}caller-state`} class={v.state === 'verified' ? 'success' : 'notice'}>
        {v.state === 'verified'
          ? t('caller.state.verified', { time: when(v.until) })
          : v.state === 'pending'
            ? t(PENDING[v.way], { time: when(v.expiresAt) })
            : v.state === 'expired'
              ? t('caller.state.expired')
              : t('caller.state.none')}
      </p>
      {v.state === 'pending' && v.way === 'passkey' && p.status.ticket ? (
        <div class="stack">
          <p>{t('caller.passkey.ticket', { url: p.status.ticket.page })}</p>
          <p class="temp-password" dir="ltr">
            <code id={`${pre}caller-ticket`}>{p.status.ticket.code}</code>
          </p>
          <form method="get" action={p.refresh}>
            <button type="submit" class="secondary">
              {t('caller.passkey.refresh')}
            </button>
          </form>
        </div>
      ) : null}
      {v.state === 'pending' && v.way !== 'passkey' ? (
        <form method="post" action={`${p.base}/verify-caller/confirm`} class="stack">
          {csrf}
          {v.way === 'code' ? <p class="hint">{t('caller.state.authenticator')}</p> : null}
          <div class="field">
            <label for={`${pre}caller-code`}>{t('caller.code.label')}</label>
            <input
              id={`${pre}caller-code`}
              name="code"
              type="text"
              inputMode="numeric"
              autocomplete="off"
              maxLength={20}
              required
            />
          </div>
          <button type="submit">{t('caller.code.submit')}</button>
        </form>
      ) : null}
      {v.state !== 'verified' ? (
        <form method="post" action={`${p.base}/verify-caller`}>
          {csrf}
          <button type="submit" class={v.state === 'pending' ? 'secondary' : undefined}>
            {v.state === 'pending' || v.state === 'expired' ? t('caller.startAgain') : t('caller.start')}
          </button>
        </form>
      ) : null}
      {v.state !== 'verified' && p.otherWays
        ? (['authenticator', 'passkey'] as const)
            .filter((way) => p.status.ways[way])
            .map((way) => (
              <form key={way} method="post" action={`${p.base}/verify-caller/${way}`}>
                {csrf}
                <button type="submit" class="secondary">
                  {t(`caller.way.${way}`)}
                </button>
              </form>
            ))
        : null}
      {p.status.approval === 'not_needed' ? null : p.status.approval === 'approved' ? (
        <p class="success">{t('caller.approval.approved')}</p>
      ) : p.status.approval === 'requested' ? (
        <p class="notice">{t('caller.approval.requested')}</p>
      ) : (
        <form method="post" action={`${p.base}/approval`}>
          {csrf}
          <p class="notice">{t('caller.approval.needed')}</p>
          <button type="submit">{t('caller.approval.request')}</button>
        </form>
      )}
      {p.verifyCallUrl === null ? null : (
        <>
          <h3>{t('caller.check.title')}</h3>
          <p>{t('caller.check.intro', { url: p.verifyCallUrl })}</p>
          {p.phrase ? (
            <div class="success" role="status">
              <p>{t('caller.check.phrase')}</p>
              <p class="temp-password" dir="ltr">
                <code id="call-phrase">{p.phrase.phrase}</code>
              </p>
              <p>{t('caller.check.until', { time: when(p.phrase.expiresAt) })}</p>
            </div>
          ) : null}
          <form method="post" action={`${p.base}/call-check`}>
            {csrf}
            <button type="submit" class="secondary">
              {t('caller.check.start')}
            </button>
          </form>
        </>
      )}
    </section>
  );
}

/**
 * "Reset the second factor" of another administrator's console sign-in (issue 13 item 4), on the
 * account's page of the admin console and on a Technical Support ticket: disabled (`locked`) until
 * the caller verification (and, for Technical Support, the second operator) let it; `lockedHint`
 * is the id of the hint saying so.
 */
export function FactorResetSection(p: {
  action: string;
  csrf: string;
  locked: boolean;
  lockedHint: string;
  /** The heading's level: 2 on the account's page, 3 under the ticket's "Act". */
  level?: 2 | 3;
}): VNode {
  const { t } = useI18n();
  const Heading = p.level === 3 ? 'h3' : 'h2';
  return (
    <section aria-labelledby="factor-heading">
      <Heading id="factor-heading">{t('admin.users.factor.title')}</Heading>
      <p id="factor-intro">{t('admin.users.factor.intro')}</p>
      <form method="post" action={p.action} id="factor-reset">
        <input type="hidden" name="_csrf" value={p.csrf} />
        <button
          type="submit"
          class="secondary"
          disabled={p.locked}
          aria-describedby={p.locked ? `${p.lockedHint} factor-intro` : 'factor-intro'}
        >
          {t('admin.users.factor.submit')}
        </button>
      </form>
    </section>
  );
}

/** What the console says while a verification is open, by its way. */
const PENDING = {
  code: 'caller.state.pending',
  authenticator: 'caller.state.pendingAuthenticator',
  passkey: 'caller.state.pendingPasskey',
} as const satisfies Record<CallerWay, MessageId>;

/** The hint beside an action the caller verification keeps disabled. */
export function DisabledHint({ id }: { id: string }): VNode {
  const { t } = useI18n();
  return (
    <p class="hint" id={id}>
      {t('caller.disabled')}
    </p>
  );
}

/** The problem when the account lacks the way the agent chose (no authenticator app, no passkey). */
export function missingWayText(
  request: { i18n: { t: (id: MessageId) => string } },
  error: 'no_authenticator' | 'no_passkey',
): { title: string; message: string } {
  const { t } = request.i18n;
  return error === 'no_passkey'
    ? { title: t('caller.noPasskey.title'), message: t('caller.noPasskey.message') }
    : { title: t('caller.noAuthenticator.title'), message: t('caller.noAuthenticator.message') };
}
