import { directoryWriteError, type DirectoryWriteError } from '../core/directory-refusals.ts';
import { err, ok, type Result } from '../core/result.ts';
import type { Repos } from '../ports/store.ts';
import type { CredentialChangeDeps, CredentialChangeRequest } from './credential-change.ts';
import { DirectoryPasswords, type DirectoryTarget } from './directory-passwords.ts';
import { appendAudit } from './request-context.ts';

/**
 * A directory account's side of a password change (steps 1–3 of "Directory accounts" on
 * `CredentialChange.change`): the entry and the directory's rules before vetting; the path's
 * read-only precheck and the write, outside any database transaction, before sspr's transaction;
 * and what is kept for the admin when the directory refuses, or when it took the password but
 * sspr's transaction did not commit. Nothing here touches an account sspr keeps the password of.
 */
export class CredentialDirectoryStep {
  readonly #passwords: DirectoryPasswords;

  constructor(private readonly d: CredentialChangeDeps) {
    this.#passwords = new DirectoryPasswords(d);
  }

  /**
   * The directory that keeps the account's password (null: sspr keeps it) and the minimum length
   * it asks for; a refusal (kept for the admin) when it cannot be asked or the entry is disabled.
   */
  async find(
    req: CredentialChangeRequest,
  ): Promise<Result<{ target: DirectoryTarget | null; minLength: number | null }, DirectoryWriteError>> {
    const found = await this.#passwords.target(req.account);
    if (!found.ok) return this.refused(req, null, found.error, found.detail);
    const target = found.value;
    if (target?.entry.disabled) return this.refused(req, target, 'disabled', 'the directory entry is disabled');
    const rules = target ? await this.#passwords.rules(target.directory, target.entry) : null;
    return ok({ target, minLength: rules?.minLength ?? null });
  }

  /**
   * The path's read-only precheck (a stale page changes nothing), then the write to the directory,
   * outside any database transaction (no write lock across a network call). A refusal ends the
   * change here: it is kept for the admin, and nothing else moved.
   */
  async write<E extends string>(
    req: CredentialChangeRequest,
    target: DirectoryTarget,
    password: string,
    mustChangePassword: boolean,
    precheck: ((repos: Repos, now: number) => Promise<Result<unknown, E>>) | undefined,
  ): Promise<Result<unknown, E | DirectoryWriteError>> {
    if (precheck) {
      const step = await precheck(this.d.store, this.d.clock.now());
      if (!step.ok) return step;
    }
    const written = await this.#passwords.write(target, password, mustChangePassword);
    if (!written.ok) return this.refused(req, target, written.error, written.detail);
    return ok(undefined);
  }

  /** The directory refused (or could not be asked): kept for the admin; the caller gets the refusal's code. */
  private async refused(
    req: CredentialChangeRequest,
    target: DirectoryTarget | null,
    refusal: Parameters<typeof directoryWriteError>[0],
    diagnostic: string | undefined,
  ): Promise<Result<never, DirectoryWriteError>> {
    await this.d.store.transaction((tx) =>
      this.#passwords.recordRefusal(tx, {
        account: req.account,
        directory: target?.directory ?? null,
        refusal,
        diagnostic,
        path: req.path,
        actor: req.actor,
        rc: req.rc,
      }),
    );
    return err(directoryWriteError(refusal));
  }

  /** The directory took the new password but sspr's transaction did not commit: say so for the admin. */
  async unrecorded(req: CredentialChangeRequest, target: DirectoryTarget, reason: string): Promise<void> {
    this.d.log?.warn(
      { event: 'directory.write_unrecorded', kind: target.directory.kind, path: req.path, reason },
      'the directory accepted a new password but sspr did not record the change',
    );
    await this.d.store
      .transaction((tx) =>
        appendAudit(tx, {
          at: this.d.clock.now(),
          tenantId: req.account.tenantId,
          accountId: req.account.id,
          actor: req.actor,
          rc: req.rc,
          type: 'directory.write_unrecorded',
          outcome: 'error',
          details: { path: req.path, reason, note: 'the directory already has the new password' },
        }),
      )
      .catch(() => undefined);
  }
}
