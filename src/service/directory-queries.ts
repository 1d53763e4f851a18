import type { Role, Tenant } from '../core/directory-model.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { DirectoryRepo } from '../ports/store.ts';
import { cleanName, parseRole, printable, type RoleError } from './directory-input.ts';

/** The directory's reads for the command line: a tenant by name, the accounts as administrators list them. */

export type DirectoryQueryRepo = Pick<
  DirectoryRepo,
  'findTenantByName' | 'listAccounts' | 'listTenants' | 'listMethods'
>;

export type ListUsersError = RoleError | 'tenant_not_found';

export interface UserFilter {
  readonly tenant?: string;
  readonly role?: string;
  readonly search?: string;
  readonly limit?: number;
}

/** An account as listed to administrators: never the password hash. */
export interface UserView {
  readonly id: string;
  readonly login: string;
  readonly displayName: string;
  readonly role: Role;
  readonly enabled: boolean;
  readonly tenant: string;
  readonly passwordSet: boolean;
  readonly mustChangePassword: boolean;
  readonly email: string | null;
  readonly emailVerifiedAt: number | null;
  readonly phone: string | null;
  readonly phoneVerifiedAt: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export async function findTenantByName(
  directory: DirectoryQueryRepo,
  name: string,
): Promise<Result<Tenant, 'tenant_not_found'>> {
  const clean = cleanName(name);
  const tenant = clean === null ? null : await directory.findTenantByName(clean);
  return tenant ? ok(tenant) : err('tenant_not_found', `There is no tenant named "${printable(name)}".`);
}

export async function listUsers(
  directory: DirectoryQueryRepo,
  filter: UserFilter,
): Promise<Result<UserView[], ListUsersError>> {
  let tenantId: string | undefined;
  if (filter.tenant !== undefined) {
    const tenant = await findTenantByName(directory, filter.tenant);
    if (!tenant.ok) return tenant;
    tenantId = tenant.value.id;
  }
  let role: Role | undefined;
  if (filter.role !== undefined) {
    const parsed = parseRole(filter.role);
    if (!parsed.ok) return parsed;
    role = parsed.value;
  }
  const search = filter.search?.normalize('NFKC').trim();
  const accounts = await directory.listAccounts({
    ...(tenantId !== undefined ? { tenantId } : {}),
    ...(role !== undefined ? { role } : {}),
    ...(search ? { search } : {}),
    limit: filter.limit ?? 1000,
  });
  const tenantNames = new Map((await directory.listTenants()).map((t) => [t.id, t.name]));
  const views: UserView[] = [];
  for (const a of accounts) {
    const methods = await directory.listMethods(a.id);
    const email = methods.find((m) => m.kind === 'email') ?? null;
    const phone = methods.find((m) => m.kind === 'phone') ?? null;
    views.push({
      id: a.id,
      login: a.login,
      displayName: a.displayName,
      role: a.role,
      enabled: a.enabled,
      tenant: tenantNames.get(a.tenantId) ?? a.tenantId,
      passwordSet: a.passwordHash !== null,
      mustChangePassword: a.mustChangePassword,
      email: email?.value ?? null,
      emailVerifiedAt: email?.verifiedAt ?? null,
      phone: phone?.value ?? null,
      phoneVerifiedAt: phone?.verifiedAt ?? null,
      createdAt: a.createdAt,
      updatedAt: a.updatedAt,
    });
  }
  return ok(views);
}
