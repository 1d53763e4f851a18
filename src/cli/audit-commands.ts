import type { Command } from 'commander';
import type { ChainBreak } from '../core/audit-chain.ts';
import type { App } from '../service/app.ts';
import type { ChainVerification } from '../service/audit-chain-service.ts';
import { NO_REQUEST } from '../service/request-context.ts';
import { CLI_ACTOR, print, withApp, type CliContext } from './cli-context.ts';
import { CliFailure, EXIT_REFUSED, refused } from './cli-failure.ts';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** How each kind of break was told apart, for the operator reading the verdict. */
const HOW: Readonly<Record<ChainBreak['reason'], string>> = {
  content_changed: 'its fields no longer give the hash it was written with',
  hash_rewritten:
    'its hash matches its fields, but the next event (or the chain head) recorded another hash for it: changed and its hash recomputed',
  seq_changed: 'content and link intact, but its place number was changed',
  gap: 'its place number jumps and it links to an event that is gone',
  tail_missing: 'the chain head says newer events existed after it',
  not_chained: 'a row without place, link or hash: not written by sspr',
  not_linked: 'the chain skips it: the next event links to the event before it',
  fork: 'it claims the same predecessor as another event, and the chain goes on from the other one',
  behind_checkpoint: 'it is numbered inside the range a retention purge removed',
  beyond_head: 'it comes after the newest event the chain head knows',
  out_of_order: 'it comes before the event it links to',
  signature: 'the purge checkpoint the chain starts from is not signed by this installation’s keys',
};

/** Events an older release wrote before the chain existed: counted, not a break (core `unchainedKind`). */
function legacyLine(n: number): string {
  return `${n} event(s) written before the chain existed (by a release older than the audit chain): not chained, so not covered by it; not a break`;
}

function chainName(names: ReadonlyMap<string, string>, chain: string): string {
  return chain === '' ? '(no tenant)' : (names.get(chain) ?? chain);
}

function breakLine(b: ChainBreak): string {
  const what =
    b.eventId === null
      ? `${b.kind}${b.seq !== null ? ` at place ${b.seq}` : ''}`
      : `${b.kind}: event ${b.eventId}${b.seq !== null ? ` (place ${b.seq}` : ' ('}${b.seq !== null ? ', ' : ''}${b.type ?? '?'}, ${iso(b.at)})`;
  const missing = b.missing !== undefined ? `; ${b.missing} event(s) missing` : '';
  return `${what} — ${HOW[b.reason]}${missing}`;
}

function jsonOf(v: ChainVerification, names: ReadonlyMap<string, string>) {
  const r = v.result;
  return {
    chain: v.chain,
    tenant: v.chain === '' ? null : (names.get(v.chain) ?? null),
    ok: r.ok,
    checked: r.checked,
    last_seq: r.lastSeq,
    last_hash: r.lastHash,
    checkpoint: v.checkpoint
      ? { seq: v.checkpoint.seq, removed: v.checkpoint.removed, at: iso(v.checkpoint.at) }
      : null,
    broken: r.broken ? { ...r.broken, at: iso(r.broken.at), how: HOW[r.broken.reason] } : null,
    verified_at: iso(v.verifiedAt),
    legacy: v.legacy,
  };
}

async function verifyCommand(app: App, tenant: string | undefined) {
  const tenants = await app.directory.listTenants();
  const names = new Map(tenants.map((t) => [t.id, t.name]));
  let tenantId: string | undefined;
  if (tenant !== undefined) {
    const t = await app.directory.getTenantByName(tenant);
    if (!t.ok) throw refused(t, { name: tenant });
    tenantId = t.value.id;
  }
  return { names, results: await app.auditChain.verify(tenantId, CLI_ACTOR, NO_REQUEST) };
}

/** `sspr audit verify`: checks each tenant's audit hash chain (docs/security.md). */
export function registerAuditCommands(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description('the audit log’s tamper evidence');
  audit
    .command('verify')
    .description(
      'walk each tenant’s audit hash chain (or one tenant’s) from its newest signed checkpoint and name the first edited, deleted, inserted or reordered event; the verdict and its time show in the console. Exit 1 when a chain is broken.',
    )
    .option('--tenant <name>', 'only this tenant’s chain')
    .option('--json', 'print the verdicts as JSON')
    .action(async (opts: { tenant?: string; json?: boolean }) => {
      const broken = await withApp(ctx, async (app) => {
        const { names, results } = await verifyCommand(app, opts.tenant);
        if (opts.json) {
          print(ctx, JSON.stringify({ chains: results.map((v) => jsonOf(v, names)) }, null, 2));
        } else {
          for (const v of results) {
            const r = v.result;
            const from = v.checkpoint ? ` from checkpoint at place ${v.checkpoint.seq}` : '';
            const name = chainName(names, v.chain);
            if (r.ok)
              print(
                ctx,
                `OK      ${name}: ${r.checked} event(s)${from}; final hash ${r.lastHash} (place ${r.lastSeq})`,
              );
            else print(ctx, `BROKEN  ${name}: ${breakLine(r.broken!)}`);
            if (v.legacy > 0) print(ctx, `        ${name}: ${legacyLine(v.legacy)}`);
          }
        }
        return results.filter((v) => !v.result.ok).length;
      });
      if (broken > 0) {
        throw new CliFailure(EXIT_REFUSED, [
          `${broken} audit chain(s) broken: the events named above were changed outside sspr. Compare with an exported copy and the final hashes you keep elsewhere (docs/security.md).`,
        ]);
      }
    });
}
