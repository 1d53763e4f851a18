import type { VNode } from 'preact';
import { useT } from '../views/i18n-context.tsx';
import { Layout } from '../views/layout.tsx';

/**
 * "Unlock my account, keep my password": offered under the new-password form of a directory
 * account (issue 11 item 5). A form of its own, posting to /reset/flow/unlock. Words from the
 * catalogues (`reset.unlock.*`), in the page's language.
 */
export function UnlockOffer({ csrf }: { csrf: string }): VNode {
  const t = useT();
  return (
    <section class="stack" aria-labelledby="unlock-title">
      <h2 id="unlock-title">{t('reset.unlock.offerTitle')}</h2>
      <p id="unlock-hint">{t('reset.unlock.offer')}</p>
      <form method="post" action="/reset/flow/unlock">
        <input type="hidden" name="_csrf" value={csrf} />
        <button type="submit" class="secondary" aria-describedby="unlock-hint">
          {t('reset.unlock.button')}
        </button>
      </form>
    </section>
  );
}

/** The end of a reset that unlocked the account instead of setting a password. */
export function UnlockedPage(): VNode {
  return <Unlocked />;
}

function Unlocked(): VNode {
  const t = useT();
  return (
    <Layout title={t('reset.unlock.doneTitle')}>
      <h1>{t('reset.unlock.doneTitle')}</h1>
      <div class="success" role="status">
        <p>{t('reset.unlock.doneMessage')}</p>
      </div>
      <p>
        <a href="/signin" class="button">
          {t('reset.unlock.signIn')}
        </a>
      </p>
    </Layout>
  );
}
