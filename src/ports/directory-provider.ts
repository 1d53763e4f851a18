import type { DirectorySettings } from '../core/directory-settings.ts';
import type { Result } from '../core/result.ts';
import type { ExternalDirectory } from './external-directory.ts';

/** Why a tenant's directory could not be opened (its settings name a secret or a CA file that is not there). */
export type DirectoryOpenError = 'directory_misconfigured';

/**
 * The tenant's directory, built from its stored settings (the secret read from the environment or
 * a file, the CA file read) and kept open between requests. `null` when the tenant keeps its
 * passwords in sspr (`builtin`).
 */
export interface DirectoryProvider {
  forTenant(tenantId: string): Promise<Result<ExternalDirectory | null, DirectoryOpenError>>;
  /**
   * A new adapter for these settings, not cached (the check of settings, saved or not yet): the
   * caller closes it. `directory_misconfigured` when the secret or the CA file cannot be read.
   */
  open(settings: DirectorySettings): Promise<Result<ExternalDirectory, DirectoryOpenError>>;
  /** The settings changed: close the adapter and build it again on next use. */
  invalidate(tenantId: string): Promise<void>;
  close(): Promise<void>;
}
