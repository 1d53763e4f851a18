// What a directory's refusal of a password write becomes for sspr: one error code per refusal (each
// with its own words in the catalogue, ui-text.ts), and who can fix it — the person (another
// password, wait, unlock) or the administrator (rights, TLS, configuration).
import type { DirectoryRefusal } from './directory-rules.ts';

/** The error code of each refusal a password write can answer (a bind's `wrong_password` is none of them). */
export const DIRECTORY_WRITE_ERRORS = {
  too_short: 'directory_too_short',
  not_complex: 'directory_not_complex',
  in_history: 'directory_in_history',
  too_young: 'directory_too_young',
  locked: 'directory_locked',
  disabled: 'directory_disabled',
  must_change: 'directory_must_change',
  tls_required: 'directory_tls_required',
  not_allowed: 'directory_not_allowed',
  unreachable: 'directory_unreachable',
  rejected: 'directory_rejected',
  wrong_password: 'directory_rejected',
} as const satisfies Record<DirectoryRefusal, string>;

export type DirectoryWriteError = (typeof DIRECTORY_WRITE_ERRORS)[DirectoryRefusal];

export function directoryWriteError(refusal: DirectoryRefusal): DirectoryWriteError {
  return DIRECTORY_WRITE_ERRORS[refusal];
}

const WRITE_ERRORS: ReadonlySet<string> = new Set(Object.values(DIRECTORY_WRITE_ERRORS));

export function isDirectoryWriteError(code: string): code is DirectoryWriteError {
  return WRITE_ERRORS.has(code);
}

/**
 * Refusals only an administrator can fix (rights, TLS, configuration, an answer sspr does not know):
 * the person is told to contact them; the diagnostic is kept for the admin (audit event, log).
 */
export function isAdminRefusal(refusal: DirectoryRefusal): boolean {
  return (
    refusal === 'not_allowed' || refusal === 'tls_required' || refusal === 'rejected' || refusal === 'wrong_password'
  );
}

/** Refusals the operator should see in the log (with the diagnostic, never a password). */
export function isLoggedRefusal(refusal: DirectoryRefusal): boolean {
  return refusal === 'unreachable' || isAdminRefusal(refusal);
}

/** The effective minimum length: sspr's policy is never weaker than the directory's. */
export function effectiveMinLength(tenantMin: number, directoryMin: number | null): number {
  return directoryMin === null ? tenantMin : Math.max(tenantMin, directoryMin);
}
