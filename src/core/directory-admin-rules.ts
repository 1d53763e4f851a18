// Who may see and change a tenant's directory settings, which secret references a tenant may name,
// and what changed between two versions of the settings (for the audit log and the notices). Pure.
import { actorTenant, type ApiScope, type ChangeActor, type Denial } from './admin-rules.ts';
import type { Role } from './directory-model.ts';
import { directorySettingsInput, type DirectorySettings } from './directory-settings.ts';

/**
 * May the actor see the settings and run the check? The command line (the installation's operator)
 * always; an administrator of the tenant; an API key of the tenant with `directory:read`.
 * Technical Support operators do not administer a tenant's directory.
 */
export function canReadDirectorySettings(actor: ChangeActor, tenantId: string): Denial | null {
  return directoryAccess(actor, tenantId, 'directory:read', (role) =>
    role === 'admin' || role === 'global_admin' ? null : 'not_allowed',
  );
}

/**
 * May the actor change (or remove) the settings? Every password of the tenant then lives
 * elsewhere, so: the command line; a global administrator of the tenant (a tenant admin may look
 * and run the check, not change); an API key of the tenant with `directory:write`.
 */
export function canChangeDirectorySettings(actor: ChangeActor, tenantId: string): Denial | null {
  return directoryAccess(actor, tenantId, 'directory:write', (role) =>
    role === 'global_admin' ? null : role === 'admin' ? 'needs_global_admin' : 'not_allowed',
  );
}

/**
 * What reading and changing share: the command line always; never a Technical Support operator;
 * an administrator or API key of the tenant only, the administrator by `byRole`, the key by `scope`.
 */
function directoryAccess(
  actor: ChangeActor,
  tenantId: string,
  scope: ApiScope,
  byRole: (role: Role) => Denial | null,
): Denial | null {
  switch (actor.kind) {
    case 'cli':
      return null;
    case 'operator':
      return 'not_allowed';
    case 'admin':
      if (actor.account.tenantId !== tenantId) return 'other_tenant';
      return byRole(actor.account.role);
    case 'api_key':
      if (actorTenant(actor) !== tenantId) return 'other_tenant';
      return actor.scopes.includes(scope) ? null : 'scope_missing';
  }
}

/**
 * The secret references a tenant's administrators (console, API) may name: the service account's
 * password is read by the sspr process, and the check sends it to the URLs in the settings, so a
 * free choice would let one tenant send any variable or file of the process (the master key,
 * another tenant's password) to a server of its own. The installation's operator puts each
 * tenant's secret in that tenant's place: an environment variable whose name starts with
 * `envPrefix`, or a file inside a folder named after the tenant's id. The command line may name any.
 */
export function tenantSecretPlaces(tenantId: string): { readonly envPrefix: string; readonly folder: string } {
  return { envPrefix: `SSPR_DIRECTORY_${tenantId.replace(/-/g, '').toUpperCase()}`, folder: tenantId };
}

/** Whether a tenant's administrators may name this reference (see `tenantSecretPlaces`). */
export function secretRefAllowedFor(ref: string, tenantId: string): boolean {
  const places = tenantSecretPlaces(tenantId);
  if (ref.startsWith('env:')) {
    const name = ref.slice(4);
    return name === places.envPrefix || name.startsWith(`${places.envPrefix}_`);
  }
  if (ref.startsWith('file:/')) {
    const segments = ref.slice(5).split('/');
    if (segments.some((s) => s === '.' || s === '..')) return false;
    // a folder named after the tenant, and a file inside it
    return segments.slice(0, -1).includes(places.folder) && (segments.at(-1) ?? '') !== '';
  }
  return false;
}

/**
 * The names of the settings that differ (the flat names of `directorySettingsInput`), in a stable
 * order; every name when one side is null. Values are never part of it: the audit log and the
 * notices say what changed, not to what (the bind password's reference included).
 */
export function changedSettingNames(before: DirectorySettings | null, after: DirectorySettings | null): string[] {
  const a = before ? directorySettingsInput(before) : {};
  const b = after ? directorySettingsInput(after) : {};
  const names = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  return names.filter((n) => JSON.stringify(a[n] ?? null) !== JSON.stringify(b[n] ?? null));
}
