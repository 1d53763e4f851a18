import type { TenantPolicy } from '../../core/directory-model.ts';
import { strongMethodsUsableFrom, type StrongMethodsUsable } from '../../core/security-info-policy.ts';
import type { Repos } from '../../ports/store.ts';

export type { StrongMethodsUsable } from '../../core/security-info-policy.ts';

/**
 * The one cooling-off rule (core `coolingOffUntil`, through `strongMethodsUsableFrom`) for the
 * authenticator app and passkeys, read from what the store keeps: the app's confirmation time,
 * each passkey's registration time, and the verified email and phone. A strong method added while
 * the owner already had another way in waits the tenant's `coolingOffHours` before it passes a
 * reset gate. The console's coverage applies the same function to what the store counts.
 */
export async function strongMethodsUsable(
  tx: Pick<Repos, 'directory' | 'authenticators' | 'passkeys'>,
  accountId: string,
  policy: Pick<TenantPolicy, 'coolingOffHours'>,
): Promise<StrongMethodsUsable> {
  const methods = await tx.directory.listMethods(accountId);
  const app = await tx.authenticators.confirmed(accountId);
  const passkeys = await tx.passkeys.list(accountId);
  return strongMethodsUsableFrom(policy, {
    methods: methods.flatMap((m) =>
      m.verifiedAt === null
        ? []
        : [{ kind: m.kind, value: m.value, verifiedAt: m.verifiedAt, usableFrom: m.usableFrom }],
    ),
    authenticatorConfirmedAt: app?.confirmedAt ?? null,
    passkeys: passkeys.map((p) => ({ id: p.id, createdAt: p.createdAt })),
  });
}
