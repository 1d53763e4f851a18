import type { VNode } from 'preact';

/** The form's CSRF token. */
export function Csrf({ token }: { token: string }): VNode {
  return <input type="hidden" name="_csrf" value={token} />;
}

/**
 * A form that takes a one-time code (security info: an emailed or texted code, the authenticator
 * app's first code): its label, a hint tied to the field, and the problem box's id when one is shown.
 */
export function CodeEntryForm(p: {
  readonly action: string;
  readonly csrf: string;
  readonly label: string;
  readonly hint: string;
  readonly submit: string;
  readonly problem: boolean;
}): VNode {
  return (
    <form method="post" action={p.action} class="stack reset-form">
      <Csrf token={p.csrf} />
      <div class="field">
        <label for="code">{p.label}</label>
        <p class="hint" id="code-hint">
          {p.hint}
        </p>
        <input
          id="code"
          name="code"
          type="text"
          class="code-input"
          inputmode="numeric"
          autocomplete="one-time-code"
          maxLength={12}
          required
          value=""
          aria-describedby={p.problem ? 'code-hint problem' : 'code-hint'}
          aria-invalid={p.problem ? 'true' : undefined}
        />
      </div>
      <button type="submit">{p.submit}</button>
    </form>
  );
}
