import { METHOD_KINDS, type MethodKind } from '../core/contact.ts';
import { ROLES, type Role } from '../core/directory-model.ts';
import { err, ok, type Result } from '../core/result.ts';

/** What the directory's use cases accept as a tenant name, a display name, a role or a method kind. */

export type TenantNameError = 'tenant_name_invalid';
export type DisplayNameError = 'display_name_invalid';
export type RoleError = 'role_invalid';
export type MethodKindError = 'method_kind_invalid';

const NAME_MAX = 100;
// C0/C1 controls, line/paragraph separators and bidi overrides: never part of a name
const NAME_FORBIDDEN = /[\p{Cc}\u2028\u2029\u202a-\u202e\u2066-\u2069]/u;

/** A tenant or display name as stored (NFC, trimmed), or null when it is not a name. */
export function cleanName(input: string): string | null {
  const value = input.normalize('NFC').trim();
  const length = [...value].length;
  if (length < 1 || length > NAME_MAX || NAME_FORBIDDEN.test(value)) return null;
  return value;
}

export function normalizeTenantName(input: string): Result<string, TenantNameError> {
  const value = cleanName(input);
  return value === null
    ? err('tenant_name_invalid', `A tenant name has 1 to ${NAME_MAX} characters and no control characters.`)
    : ok(value);
}

export function normalizeDisplayName(input: string): Result<string, DisplayNameError> {
  const value = cleanName(input);
  return value === null
    ? err('display_name_invalid', `A display name has 1 to ${NAME_MAX} characters and no control characters.`)
    : ok(value);
}

export function parseRole(input: string): Result<Role, RoleError> {
  const value = input.trim().toLowerCase();
  return (ROLES as readonly string[]).includes(value)
    ? ok(value as Role)
    : err('role_invalid', `"${printable(input)}" is not a role; use one of: ${ROLES.join(', ')}.`);
}

export function parseMethodKind(input: string): Result<MethodKind, MethodKindError> {
  const value = input.trim().toLowerCase();
  return (METHOD_KINDS as readonly string[]).includes(value)
    ? ok(value as MethodKind)
    : err('method_kind_invalid', `"${printable(input)}" is not a method; use one of: ${METHOD_KINDS.join(', ')}.`);
}

/** Shows control characters visibly in messages instead of echoing them raw; clips long input. */
export function printable(s: string): string {
  const clipped = s.length > 60 ? `${s.slice(0, 60)}…` : s;
  return clipped.replace(/\p{C}/gu, '�');
}
