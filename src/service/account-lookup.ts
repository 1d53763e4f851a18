import type { Method } from '../core/directory-model.ts';
import type { DirectoryRepo } from '../ports/store.ts';

/** Who an account is, for naming it on a page (no password hash, no flags). */
export interface AccountName {
  readonly id: string;
  readonly tenantId: string;
  readonly login: string;
  readonly displayName: string;
}

export interface AccountLookupDeps {
  readonly directory: Pick<DirectoryRepo, 'getAccount' | 'listMethods'>;
}

/**
 * The small reads the pages need beside their use case: the name of whoever acted (an admin who
 * answered a request or created a key) and an account's registered methods (its home page, the
 * admin API's answer after a pre-fill). HTTP asks these here, never the store.
 */
export class AccountLookup {
  constructor(private readonly deps: AccountLookupDeps) {}

  /** The account's names, or null when it does not exist (any more). */
  async accountName(accountId: string): Promise<AccountName | null> {
    const a = await this.deps.directory.getAccount(accountId);
    return a ? { id: a.id, tenantId: a.tenantId, login: a.login, displayName: a.displayName } : null;
  }

  methods(accountId: string): Promise<Method[]> {
    return this.deps.directory.listMethods(accountId);
  }
}
