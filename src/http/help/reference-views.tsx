import type { VNode } from 'preact';
import type { ReferenceFinding } from '../../service/help-request-service.ts';
import { useI18n, useT } from '../views/i18n-context.tsx';
import { richText } from '../views/rich-text.tsx';

/**
 * Looking up a support reference (`SUP-XXXX-XXXX`) in the consoles: the search form and what it
 * finds — a help request (with a link to it) or an error page someone saw (status, what failed,
 * where, the request id of the log lines). Words: `helppage.reference.*`, in the page's language.
 */

/** The example reference the hints show (never contains 0, O, 1 or I). */
const EXAMPLE_REFERENCE = 'SUP-7K4Q-9XW2';

/** A reference, code or id inside text: kept left to right in right-to-left text. */
function Ltr({ text, code = false }: { text: string; code?: boolean }): VNode {
  return <bdi class="ltr">{code ? <code>{text}</code> : text}</bdi>;
}

export function ReferenceSearch(p: { action: string; value: string }): VNode {
  return <Search {...p} />;
}

function Search({ action, value }: { action: string; value: string }): VNode {
  const t = useT();
  return (
    <form method="get" action={action} class="filters" role="search" aria-label={t('helppage.reference.heading')}>
      <div class="field">
        <label for="ref">{t('helppage.reference.field')}</label>
        <span class="hint" id="ref-hint">
          {richText(t, 'helppage.reference.hint', {}, { example: <Ltr text={EXAMPLE_REFERENCE} /> })}
        </span>
        <input
          id="ref"
          name="ref"
          type="text"
          autoCapitalize="characters"
          spellcheck={false}
          maxLength={20}
          value={value}
          aria-describedby="ref-hint"
        />
      </div>
      <button type="submit">{t('helppage.reference.find')}</button>
    </form>
  );
}

export interface ReferenceResultProps {
  readonly reference: string;
  readonly finding: ReferenceFinding | null;
  /** Links a help request to where it is answered (null: no link). */
  readonly requestHref: (id: string) => string | null;
}

/** The finding, or "not found". */
export function ReferenceResult(p: ReferenceResultProps): VNode {
  return <Result {...p} />;
}

function Result({ reference, finding, requestHref }: ReferenceResultProps): VNode {
  const { t, when } = useI18n();
  if (!finding) {
    return (
      <div class="error" role="alert" id="problem">
        <h2 class="problem-title">{t('helppage.reference.notFound.title')}</h2>
        <p>
          {richText(
            t,
            'helppage.reference.notFound.message',
            {},
            { reference: <Ltr text={reference} code />, example: <Ltr text={EXAMPLE_REFERENCE} /> },
          )}
        </p>
      </div>
    );
  }
  if (finding.kind === 'help_request') {
    const r = finding.request;
    const href = requestHref(r.id);
    return (
      <section aria-labelledby="finding-heading" id="finding">
        <h2 id="finding-heading">
          {richText(t, 'helppage.reference.helpRequest', {}, { reference: <Ltr text={r.reference} code /> })}
        </h2>
        <dl>
          <dt>{t('helppage.reference.received')}</dt>
          <dd>{when(r.createdAt)}</dd>
          <dt>{t('helppage.reference.organisation')}</dt>
          <dd>{r.tenant?.name ?? t('helppage.reference.noTenant')}</dd>
          <dt>{t('helppage.reference.requester')}</dt>
          <dd>
            {r.requester ? (
              <bdi>{`${r.requester.displayName} (${r.requester.login})`}</bdi>
            ) : (
              t('helppage.reference.noRequester')
            )}
          </dd>
          <dt>{t('helppage.reference.status')}</dt>
          <dd>{t('helppage.reference.statusValue', { status: r.status })}</dd>
        </dl>
        {href ? (
          <p>
            <a href={href}>{t('helppage.reference.open')}</a>
          </p>
        ) : null}
      </section>
    );
  }
  return (
    <section aria-labelledby="finding-heading" id="finding">
      <h2 id="finding-heading">
        {richText(t, 'helppage.reference.errorPage', {}, { reference: <Ltr text={finding.reference} code /> })}
      </h2>
      <dl>
        <dt>{t('helppage.reference.shown')}</dt>
        <dd>{when(finding.at)}</dd>
        <dt>{t('helppage.reference.whatFailed')}</dt>
        <dd>
          <bdi class="ltr">
            <code>{finding.code}</code>
            {finding.status !== null ? ` (HTTP ${finding.status})` : ''}
          </bdi>
        </dd>
        <dt>{t('helppage.reference.page')}</dt>
        <dd>
          <Ltr text={finding.path ?? '-'} code />
        </dd>
        <dt>{t('helppage.reference.organisation')}</dt>
        <dd>{finding.tenant?.name ?? t('helppage.reference.tenantUnknown')}</dd>
        <dt>{t('helppage.reference.account')}</dt>
        <dd>{finding.accountLogin ? <Ltr text={finding.accountLogin} /> : t('helppage.reference.accountUnknown')}</dd>
        <dt>{t('helppage.reference.requestId')}</dt>
        <dd>
          <Ltr text={finding.requestId ?? '-'} code />
        </dd>
      </dl>
    </section>
  );
}
