import type { TenantPolicy } from '../../core/directory-model.ts';
import { coolingOffUntil, type WayIn } from '../../core/security-info-policy.ts';
import type { Repos } from '../../ports/store.ts';

/** When the account's authenticator app and each of its passkeys may serve as a reset gate (null: at once). */
export interface StrongMethodsUsable {
  readonly authenticator: number | null;
  readonly passkeys: ReadonlyMap<string, number | null>;
}

/**
 * The one cooling-off rule (core `coolingOffUntil`) for the authenticator app and passkeys, read
 * from what the store keeps: the app's confirmation time, each passkey's registration time, and
 * the verified email and phone. A strong method added while the owner already had another way in
 * waits the tenant's `coolingOffHours` before it passes a reset gate.
 */
export async function strongMethodsUsable(
  tx: Pick<Repos, 'directory' | 'authenticators' | 'passkeys'>,
  accountId: string,
  policy: Pick<TenantPolicy, 'coolingOffHours'>,
): Promise<StrongMethodsUsable> {
  const methods = await tx.directory.listMethods(accountId);
  const app = await tx.authenticators.confirmed(accountId);
  const passkeys = await tx.passkeys.list(accountId);
  const ways: (WayIn & { readonly id: string })[] = [
    ...methods.flatMap((m) =>
      m.verifiedAt === null ? [] : [{ id: `m:${m.kind}`, kind: m.kind, value: m.value, since: m.verifiedAt }],
    ),
    ...(app?.confirmedAt != null
      ? [{ id: `a:${app.id}`, kind: 'authenticator' as const, since: app.confirmedAt }]
      : []),
    ...passkeys.map((p) => ({ id: `p:${p.id}`, kind: 'passkey' as const, since: p.createdAt })),
  ];
  const until = (id: string): number | null => {
    const self = ways.find((w) => w.id === id)!;
    return coolingOffUntil(
      policy,
      { kind: self.kind, registeredAt: self.since },
      ways.filter((w) => w.id !== id),
    );
  };
  return {
    authenticator: app?.confirmedAt != null ? until(`a:${app.id}`) : null,
    passkeys: new Map(passkeys.map((p) => [p.id, until(`p:${p.id}`)])),
  };
}
