import type { ComponentChildren, VNode } from 'preact';

/**
 * A form that runs a WebAuthn ceremony through /static/passkey.js (no inline script): the server's
 * options, the words the script shows (no support, waiting for the device, cancelled), the hidden
 * `credential` field it fills, the button that starts it (enabled by the script) and its status
 * line. Used by the passkey registration, the reset's passkey gate and the caller's public page;
 * `children` (the CSRF field, other hidden or visible fields) go before the button.
 */
export function PasskeyForm(p: {
  action: string;
  kind: 'create' | 'get';
  /** The options JSON, as `@simplewebauthn/server` makes them. */
  options: string;
  button: string;
  texts: { readonly unsupported: string; readonly waiting: string; readonly cancelled: string };
  class?: string;
  children?: ComponentChildren;
}): VNode {
  return (
    <form
      method="post"
      action={p.action}
      class={p.class}
      data-passkey={p.kind}
      data-passkey-options={p.options}
      data-text-unsupported={p.texts.unsupported}
      data-text-waiting={p.texts.waiting}
      data-text-cancelled={p.texts.cancelled}
    >
      {p.children}
      <input type="hidden" name="credential" value="" />
      <button type="button" data-passkey-start disabled>
        {p.button}
      </button>
      <p class="hint" data-passkey-status role="status" aria-live="polite"></p>
    </form>
  );
}
