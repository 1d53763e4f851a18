import type { VNode } from 'preact';
import { formatWhen } from '../../core/message-templates.ts';
import type { ReferenceFinding } from '../../service/help-request-service.ts';

/**
 * Looking up a support reference (`SUP-XXXX-XXXX`) in the consoles: the search form and what it
 * finds — a help request (with a link to it) or an error page someone saw (status, what failed,
 * where, the request id of the log lines).
 */

function when(ms: number): string {
  return formatWhen(new Date(ms).toISOString());
}

export function ReferenceSearch({ action, value }: { action: string; value: string }): VNode {
  return (
    <form method="get" action={action} class="filters" role="search" aria-label="Find a support reference">
      <div class="field">
        <label for="ref">Support reference</label>
        <span class="hint" id="ref-hint">
          As the person read it out, like SUP-7K4Q-9XW2: from a help request or an error page.
        </span>
        <input
          id="ref"
          name="ref"
          type="text"
          autoCapitalize="characters"
          spellcheck={false}
          maxLength={20}
          value={value}
          aria-describedby="ref-hint"
        />
      </div>
      <button type="submit">Find</button>
    </form>
  );
}

/** The finding, or "not found"; `requestHref` links a help request to where it is answered (null: no link). */
export function ReferenceResult({
  reference,
  finding,
  requestHref,
}: {
  reference: string;
  finding: ReferenceFinding | null;
  requestHref: (id: string) => string | null;
}): VNode {
  if (!finding) {
    return (
      <div class="error" role="alert" id="problem">
        <h2 class="problem-title">No such reference</h2>
        <p>
          Nothing has the reference <code>{reference}</code>. Check it with the person: references look like
          SUP-7K4Q-9XW2 and never contain 0, O, 1 or I.
        </p>
      </div>
    );
  }
  if (finding.kind === 'help_request') {
    const r = finding.request;
    const href = requestHref(r.id);
    return (
      <section aria-labelledby="finding-heading" id="finding">
        <h2 id="finding-heading">
          Help request <code>{r.reference}</code>
        </h2>
        <dl>
          <dt>Received</dt>
          <dd>{when(r.createdAt)}</dd>
          <dt>Organisation</dt>
          <dd>{r.tenant?.name ?? 'None (the domain belongs to no organisation)'}</dd>
          <dt>Requester</dt>
          <dd>
            {r.requester
              ? `${r.requester.displayName} (${r.requester.login})`
              : 'No active account: the request reached no one'}
          </dd>
          <dt>Status</dt>
          <dd>{r.status}</dd>
        </dl>
        {href ? (
          <p>
            <a href={href}>Open the request</a>
          </p>
        ) : null}
      </section>
    );
  }
  return (
    <section aria-labelledby="finding-heading" id="finding">
      <h2 id="finding-heading">
        Error page <code>{finding.reference}</code>
      </h2>
      <dl>
        <dt>Shown</dt>
        <dd>{when(finding.at)}</dd>
        <dt>What failed</dt>
        <dd>
          <code>{finding.code}</code>
          {finding.status !== null ? ` (HTTP ${finding.status})` : ''}
        </dd>
        <dt>Page</dt>
        <dd>
          <code>{finding.path ?? '-'}</code>
        </dd>
        <dt>Organisation</dt>
        <dd>{finding.tenant?.name ?? 'Not known (no password reset in that browser)'}</dd>
        <dt>Account</dt>
        <dd>{finding.accountLogin ?? 'Not known'}</dd>
        <dt>Request id (in the logs)</dt>
        <dd>
          <code>{finding.requestId ?? '-'}</code>
        </dd>
      </dl>
    </section>
  );
}
