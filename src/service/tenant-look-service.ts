import { createHash } from 'node:crypto';
import {
  actorName,
  actorTenant,
  canEditPolicy,
  canView,
  type Actor,
  type CliActor,
  type Denial,
} from '../core/admin-rules.ts';
import { err, ok, type Result } from '../core/result.ts';
import {
  applyLookInput,
  changedLookFields,
  checkHost,
  sniffLogo,
  type LogoError,
  type LookInput,
  type LookInvalid,
  type TenantLook,
} from '../core/tenant-look.ts';
import type { Clock } from '../ports/clock.ts';
import type { LogoImages } from '../ports/logo-images.ts';
import type { Store } from '../ports/store.ts';
import type { StoredLogo } from '../ports/tenant-look-store.ts';
import { auditDenied } from './admin-common.ts';
import { appendAudit, NO_REQUEST, type RequestContext } from './request-context.ts';

export interface TenantLookDeps {
  readonly store: Pick<Store, 'transaction' | 'looks' | 'audit'>;
  readonly clock: Clock;
  readonly images: LogoImages;
}

/** How long a page may show a look after it changed (each instance reads it at most this often). */
export const LOOK_CACHE_MS = 30_000;

export type LookUpdateResult = Result<TenantLook, Denial | 'host_taken'> | LookInvalid;

/**
 * A tenant's look and words: its admins (console) and API keys (`look:read` to see it,
 * `look:write` to change it) set it, every change audited with the names of the fields that
 * changed; pages and emails read it through a short cache.
 */
export class TenantLookService {
  readonly #byTenant = new Map<string, { readonly look: TenantLook; readonly until: number }>();
  readonly #byHost = new Map<string, { readonly tenantId: string | null; readonly until: number }>();

  constructor(private readonly d: TenantLookDeps) {}

  #access(actor: Actor, write: boolean): Result<string, Denial> {
    const tenantId = actorTenant(actor);
    if (!tenantId) return err('not_allowed');
    const denial =
      actor.kind === 'api_key'
        ? canView(actor, { tenantId }, write ? 'look:write' : 'look:read')
        : canEditPolicy(actor, tenantId);
    return denial ? err(denial) : ok(tenantId);
  }

  async #denied(actor: Actor, denial: Denial, action: string, rc: RequestContext): Promise<void> {
    const t = actorTenant(actor);
    if (t) await auditDenied({ store: this.d.store, clock: this.d.clock }, actor, t, null, action, denial, rc);
  }

  async get(actor: Actor): Promise<Result<TenantLook, Denial>> {
    const tenantId = this.#access(actor, false);
    if (!tenantId.ok) return tenantId;
    return ok(await this.d.store.looks.getLook(tenantId.value));
  }

  /** Changes the fields present in `input`; one bad field refuses the whole update, naming every problem. */
  async update(actor: Actor, input: LookInput, rc: RequestContext): Promise<LookUpdateResult> {
    const tenantId = this.#access(actor, true);
    if (!tenantId.ok) {
      await this.#denied(actor, tenantId.error, 'look.update', rc);
      return tenantId;
    }
    return this.#update(actorName(actor), tenantId.value, input, rc);
  }

  /** `update` from the command line (`sspr tenant language`): any tenant, audited as `cli`. */
  updateFromCli(cli: CliActor, tenantId: string, input: LookInput): Promise<LookUpdateResult> {
    return this.#update(cli.name, tenantId, input, NO_REQUEST);
  }

  async #update(actor: string, tenantId: string, input: LookInput, rc: RequestContext): Promise<LookUpdateResult> {
    const now = this.d.clock.now();
    const result = await this.d.store.transaction(async (tx): Promise<LookUpdateResult> => {
      const before = await tx.looks.getLook(tenantId);
      const next = applyLookInput(before, input);
      if (!next.ok) return next;
      const changed = changedLookFields(before, next.value);
      if (changed.length === 0) return ok(before);
      const saved = await tx.looks.saveLook(tenantId, next.value, now);
      if (!saved.ok) return err('host_taken', 'Another organisation already uses this address.');
      await appendAudit(tx, {
        at: now,
        tenantId,
        accountId: null,
        actor,
        type: 'admin.look_updated',
        outcome: 'ok',
        rc,
        details: { changed: changed.join(' ') },
      });
      return ok(next.value);
    });
    if (result.ok) this.#forget(tenantId);
    return result;
  }

  /** Checks, decodes and re-encodes an uploaded PNG or JPEG, then makes it the tenant's logo. */
  async setLogo(actor: Actor, bytes: Uint8Array, rc: RequestContext): Promise<Result<TenantLook, Denial | LogoError>> {
    const tenantId = this.#access(actor, true);
    if (!tenantId.ok) {
      await this.#denied(actor, tenantId.error, 'look.logo', rc);
      return tenantId;
    }
    const format = sniffLogo(bytes);
    if (!format.ok) return format;
    const image = await this.d.images.reencode(bytes, format.value);
    if (!image.ok) return image;
    const logo: StoredLogo = {
      ...image.value,
      hash: createHash('sha256').update(image.value.png).digest('hex'),
    };
    return ok(await this.#writeLogo(actor, tenantId.value, logo, rc));
  }

  async removeLogo(actor: Actor, rc: RequestContext): Promise<Result<TenantLook, Denial>> {
    const tenantId = this.#access(actor, true);
    if (!tenantId.ok) {
      await this.#denied(actor, tenantId.error, 'look.logo', rc);
      return tenantId;
    }
    return ok(await this.#writeLogo(actor, tenantId.value, null, rc));
  }

  async #writeLogo(actor: Actor, tenantId: string, logo: StoredLogo | null, rc: RequestContext): Promise<TenantLook> {
    const now = this.d.clock.now();
    const look = await this.d.store.transaction(async (tx) => {
      const before = await tx.looks.getLook(tenantId);
      if ((before.logo?.hash ?? null) === (logo?.hash ?? null)) return before;
      await tx.looks.setLogo(tenantId, logo, now);
      await appendAudit(tx, {
        at: now,
        tenantId,
        accountId: null,
        actor: actorName(actor),
        type: logo ? 'admin.logo_set' : 'admin.logo_removed',
        outcome: 'ok',
        rc,
        details: logo ? { width: String(logo.width), height: String(logo.height), sha256: logo.hash } : {},
      });
      return { ...before, logo: logo ? { hash: logo.hash, width: logo.width, height: logo.height } : null };
    });
    this.#forget(tenantId);
    return look;
  }

  #forget(tenantId: string): void {
    this.#byTenant.delete(tenantId);
    this.#byHost.clear();
  }

  // ---- the read side: pages and emails ------------------------------------------------------

  /** The tenant's look (cached for LOOK_CACHE_MS). */
  async forTenant(tenantId: string): Promise<TenantLook> {
    const now = this.d.clock.now();
    const cached = this.#byTenant.get(tenantId);
    if (cached && cached.until > now) return cached.look;
    const look = await this.d.store.looks.getLook(tenantId);
    if (this.#byTenant.size > 10_000) this.#byTenant.clear();
    this.#byTenant.set(tenantId, { look, until: now + LOOK_CACHE_MS });
    return look;
  }

  /**
   * The tenant a request's address names (its `Host`, port dropped), with its look; null when no
   * tenant chose that host. Never from a typed login: that would tell which tenant a login is in.
   */
  async forHost(rawHost: string | undefined): Promise<{ readonly tenantId: string; readonly look: TenantLook } | null> {
    if (!rawHost) return null;
    const host = checkHost(rawHost.replace(/:[0-9]+$/, ''));
    if (!host.ok) return null;
    const now = this.d.clock.now();
    let entry = this.#byHost.get(host.value);
    if (!entry || entry.until <= now) {
      const found = await this.d.store.looks.findByHost(host.value);
      entry = { tenantId: found?.tenantId ?? null, until: now + LOOK_CACHE_MS };
      if (this.#byHost.size > 10_000) this.#byHost.clear();
      this.#byHost.set(host.value, entry);
      if (found) this.#byTenant.set(found.tenantId, { look: found.look, until: now + LOOK_CACHE_MS });
    }
    if (!entry.tenantId) return null;
    return { tenantId: entry.tenantId, look: await this.forTenant(entry.tenantId) };
  }

  /** The logo's PNG when `hash` is the tenant's current logo (else null: an old address). */
  logo(tenantId: string, hash: string): Promise<StoredLogo | null> {
    if (!/^[0-9a-f]{64}$/.test(hash) || tenantId.length > 100) return Promise.resolve(null);
    return this.d.store.looks.getLogo(tenantId, hash);
  }
}
