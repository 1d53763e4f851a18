import { auditChainRepoContract } from './audit-chain.contract.ts';
import type { OpenStore } from './contract-kit.ts';
import { adminRepoContract } from './admin.contract.ts';
import { apiKeyRepoContract } from './api-key.contract.ts';
import { authRepoContract } from './auth.contract.ts';
import { deliveryHealthRepoContract } from './delivery-health.contract.ts';
import { flowRepoContract } from './flow.contract.ts';
import { helpRepoContract } from './help.contract.ts';
import { insightsRepoContract } from './insights.contract.ts';
import { limitRepoContract } from './limit.contract.ts';
import { operatorRepoContract } from './operator.contract.ts';
import { securityInfoRepoContract } from './security-info.contract.ts';
import { authenticatorRepoContract } from './authenticator.contract.ts';
import { passkeyRepoContract } from './passkey.contract.ts';
import { callerCheckRepoContract } from './caller-check.contract.ts';
import { consoleFactorRepoContract } from './console-factor.contract.ts';

/**
 * Every repository's contract besides the directory, outbox and audit ones (store.contract.ts):
 * one `describe` per repository, each on one fresh database. Run by test/adapters/sql-store.test.ts
 * on SQLite and PostgreSQL.
 */
export function repoContracts(name: string, open: OpenStore): void {
  flowRepoContract(name, open);
  authRepoContract(name, open);
  operatorRepoContract(name, open);
  securityInfoRepoContract(name, open);
  authenticatorRepoContract(name, open);
  passkeyRepoContract(name, open);
  callerCheckRepoContract(name, open);
  consoleFactorRepoContract(name, open);
  adminRepoContract(name, open);
  apiKeyRepoContract(name, open);
  limitRepoContract(name, open);
  deliveryHealthRepoContract(name, open);
  helpRepoContract(name, open);
  insightsRepoContract(name, open);
  auditChainRepoContract(name, open);
}
