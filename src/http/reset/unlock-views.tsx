import type { VNode } from 'preact';
import { UNLOCK_TEXT } from '../../core/ui-text.ts';
import { Layout } from '../views/layout.tsx';

/**
 * "Unlock my account, keep my password": offered under the new-password form of a directory
 * account (issue 11 item 5). A form of its own, posting to /reset/flow/unlock.
 */
export function UnlockOffer({ csrf }: { csrf: string }): VNode {
  return (
    <section class="stack" aria-labelledby="unlock-title">
      <h2 id="unlock-title">{UNLOCK_TEXT.offerTitle}</h2>
      <p id="unlock-hint">{UNLOCK_TEXT.offer}</p>
      <form method="post" action="/reset/flow/unlock">
        <input type="hidden" name="_csrf" value={csrf} />
        <button type="submit" class="secondary" aria-describedby="unlock-hint">
          {UNLOCK_TEXT.button}
        </button>
      </form>
    </section>
  );
}

/** The end of a reset that unlocked the account instead of setting a password. */
export function UnlockedPage(): VNode {
  return (
    <Layout title={UNLOCK_TEXT.doneTitle}>
      <h1>{UNLOCK_TEXT.doneTitle}</h1>
      <div class="success" role="status">
        <p>{UNLOCK_TEXT.doneMessage}</p>
      </div>
      <p>
        <a href="/signin" class="button">
          {UNLOCK_TEXT.signIn}
        </a>
      </p>
    </Layout>
  );
}
