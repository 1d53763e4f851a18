import type { OpenStore } from './contract-kit.ts';
import { authRepoContract } from './auth.contract.ts';
import { flowRepoContract } from './flow.contract.ts';
import { operatorRepoContract } from './operator.contract.ts';

/**
 * Every repository's contract besides the directory, outbox and audit ones (store.contract.ts):
 * one `describe` per repository, each on one fresh database. Run by test/adapters/sql-store.test.ts
 * on SQLite and PostgreSQL.
 */
export function repoContracts(name: string, open: OpenStore): void {
  flowRepoContract(name, open);
  authRepoContract(name, open);
  operatorRepoContract(name, open);
}
