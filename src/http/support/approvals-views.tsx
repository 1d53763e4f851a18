import type { VNode } from 'preact';
import type { ApprovalView } from '../../service/caller-verification-service.ts';
import { useI18n } from '../views/i18n-context.tsx';
import { SupportLayout } from './support-views.tsx';

/**
 * `/support/approvals`: Technical Support's requests to act on an administrator's account, waiting
 * for a second operator (issue 13 item 5). An operator approves a colleague's request, never their
 * own (the button is not offered, and the service refuses it anyway).
 */
export interface ApprovalsPageProps {
  readonly operatorName: string;
  /** `operator:<id>` of the signed-in operator. */
  readonly me: string;
  readonly csrf: string;
  readonly approvals: readonly ApprovalView[];
  /** `done`, `own_request` or `approval_not_found` after an approval, or null. */
  readonly outcome: 'done' | 'own_request' | 'approval_not_found' | null;
}

export function ApprovalsPage(p: ApprovalsPageProps): VNode {
  return <Approvals {...p} />;
}

function Approvals(p: ApprovalsPageProps): VNode {
  const { t, when } = useI18n();
  return (
    <SupportLayout title={t('support.approvals.title')} operatorName={p.operatorName} csrf={p.csrf}>
      <h1>{t('support.approvals.title')}</h1>
      <p>{t('support.approvals.intro')}</p>
      {p.outcome === 'done' ? (
        <p class="success" role="status">
          {t('support.approvals.done')}
        </p>
      ) : p.outcome ? (
        <div class="error" role="alert" id="problem">
          <p>{p.outcome === 'own_request' ? t('support.approvals.own') : t('support.approvals.gone')}</p>
        </div>
      ) : null}
      {p.approvals.length === 0 ? (
        <p>{t('support.approvals.empty')}</p>
      ) : (
        <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="approvals-caption">
          <table class="data">
            <caption id="approvals-caption">{t('support.approvals.caption')}</caption>
            <thead>
              <tr>
                <th scope="col">{t('support.approvals.account')}</th>
                <th scope="col">{t('support.approvals.by')}</th>
                <th scope="col">{t('support.approvals.at')}</th>
                <th scope="col">
                  <span class="visually-hidden">{t('support.approvals.approve')}</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {p.approvals.map((a) => (
                <tr key={a.id}>
                  <td>
                    <bdi>{`${a.displayName} (${a.login})`}</bdi>
                  </td>
                  <td>
                    <bdi class="ltr">{a.requestedByName}</bdi>
                  </td>
                  <td>{when(a.createdAt)}</td>
                  <td>
                    {a.requestedBy === p.me ? null : (
                      <form method="post" action={`/support/approvals/${a.id}/approve`} class="inline-form">
                        <input type="hidden" name="_csrf" value={p.csrf} />
                        <button type="submit" aria-label={`${t('support.approvals.approve')}: ${a.login}`}>
                          {t('support.approvals.approve')}
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
    </SupportLayout>
  );
}
