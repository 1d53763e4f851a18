import type { VNode } from 'preact';
import type { DirectoryLockState } from '../../service/admin-service.ts';
import { useT } from '../views/i18n-context.tsx';

/**
 * The user page's "Directory lock" section (issue 11 item 5): the account's lock as its directory
 * says now, and "Unlock in directory" while it is locked. Nothing for a built-in account.
 */
export function DirectoryLockSection(p: {
  state: DirectoryLockState | null;
  action: string;
  csrf: string;
  mayUnlock: boolean;
  /** Disabled until the caller is verified (caller verification). */
  locked?: boolean;
}): VNode | null {
  const t = useT();
  if (p.state === null || p.state === 'not_directory') return null;
  return (
    <>
      <h2>{t('admin.unlock.heading')}</h2>
      <p>
        {p.state === 'locked'
          ? t('admin.unlock.locked')
          : p.state === 'not_locked'
            ? t('admin.unlock.notLocked')
            : t('admin.unlock.unknown')}
      </p>
      {p.state === 'locked' && p.mayUnlock ? (
        <form method="post" action={p.action}>
          <input type="hidden" name="_csrf" value={p.csrf} />
          <p class="hint" id="unlock-hint">
            {t('admin.unlock.hint')}
          </p>
          <button type="submit" aria-describedby="unlock-hint" disabled={p.locked === true}>
            {t('admin.unlock.button')}
          </button>
        </form>
      ) : null}
    </>
  );
}
