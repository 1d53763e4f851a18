import { openSqlStore } from '../../src/adapters/sql/sql-store.ts';
import type { OpenStore } from '../contract/contract-kit.ts';
import { tenantLookRepoContract } from '../contract/tenant-look.contract.ts';
import { createPostgresDatabase, tempSqliteUrl } from '../helpers/databases.ts';

// The TenantLookRepo contract on both databases (kept out of repos.contract.ts while others edit it).
const onSqlite: OpenStore = async () => {
  const { url, cleanup } = tempSqliteUrl();
  const store = await openSqlStore(url);
  return { store, cleanup: async () => cleanup() };
};

const onPostgres: OpenStore = async () => {
  const database = await createPostgresDatabase();
  const store = await openSqlStore(database.url);
  return { store, url: database.url, cleanup: () => database.drop() };
};

tenantLookRepoContract('SQLite (temp file)', onSqlite);
tenantLookRepoContract('PostgreSQL (random database)', onPostgres);
