import type { VNode } from 'preact';
import { UNLOCK_TEXT } from '../../core/ui-text.ts';
import type { DirectoryLockState } from '../../service/admin-service.ts';

/**
 * The user page's "Directory lock" section (issue 11 item 5): the account's lock as its directory
 * says now, and "Unlock in directory" while it is locked. Nothing for a built-in account.
 */
export function DirectoryLockSection(p: {
  state: DirectoryLockState | null;
  action: string;
  csrf: string;
  mayUnlock: boolean;
}): VNode | null {
  const t = UNLOCK_TEXT.console;
  if (p.state === null || p.state === 'not_directory') return null;
  return (
    <>
      <h2>{t.heading}</h2>
      <p>{p.state === 'locked' ? t.locked : p.state === 'not_locked' ? t.notLocked : t.unknown}</p>
      {p.state === 'locked' && p.mayUnlock ? (
        <form method="post" action={p.action}>
          <input type="hidden" name="_csrf" value={p.csrf} />
          <p class="hint" id="unlock-hint">
            {t.hint}
          </p>
          <button type="submit" aria-describedby="unlock-hint">
            {t.button}
          </button>
        </form>
      ) : null}
    </>
  );
}
