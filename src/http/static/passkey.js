/* global document, window */
// Passkeys (WebAuthn) on the registration page of My security info and on the reset's passkey
// step. Same origin, no inline script (strict CSP). The form carries the server's options
// (`data-passkey-options`: JSON with base64url fields, as @simplewebauthn/server makes them) and
// which ceremony it is (`data-passkey`: `create` or `get`); the button asks the browser, the answer
// goes back as JSON in the hidden `credential` field and the form is sent. Without WebAuthn (or
// without this script) the button stays disabled and the page's text says what to do instead.

const fromB64url = (s) => {
  const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
  return Uint8Array.from(b, (c) => c.charCodeAt(0)).buffer;
};
const toB64url = (buf) =>
  btoa(String.fromCharCode(...new Uint8Array(buf)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
const withIds = (list) => (list ?? []).map((c) => ({ ...c, id: fromB64url(c.id) }));

function publicKeyOptions(kind, o) {
  if (kind === 'create') {
    return {
      ...o,
      challenge: fromB64url(o.challenge),
      user: { ...o.user, id: fromB64url(o.user.id) },
      excludeCredentials: withIds(o.excludeCredentials),
    };
  }
  return { ...o, challenge: fromB64url(o.challenge), allowCredentials: withIds(o.allowCredentials) };
}

function credentialJson(kind, c) {
  const r = c.response;
  const response =
    kind === 'create'
      ? {
          clientDataJSON: toB64url(r.clientDataJSON),
          attestationObject: toB64url(r.attestationObject),
          transports: typeof r.getTransports === 'function' ? r.getTransports() : [],
        }
      : {
          clientDataJSON: toB64url(r.clientDataJSON),
          authenticatorData: toB64url(r.authenticatorData),
          signature: toB64url(r.signature),
          ...(r.userHandle ? { userHandle: toB64url(r.userHandle) } : {}),
        };
  return JSON.stringify({
    id: c.id,
    rawId: toB64url(c.rawId),
    type: c.type,
    response,
    clientExtensionResults: c.getClientExtensionResults(),
    authenticatorAttachment: c.authenticatorAttachment ?? undefined,
  });
}

for (const form of document.querySelectorAll('form[data-passkey]')) {
  const kind = form.dataset.passkey;
  const button = form.querySelector('button[data-passkey-start]');
  const status = form.querySelector('[data-passkey-status]');
  const say = (text) => {
    if (status && text) status.textContent = text;
  };
  if (!button) continue;
  if (!window.PublicKeyCredential || !navigator.credentials) {
    say(form.dataset.textUnsupported);
    continue;
  }
  button.disabled = false;
  button.addEventListener('click', async () => {
    button.disabled = true;
    say(form.dataset.textWaiting);
    try {
      const options = publicKeyOptions(kind, JSON.parse(form.dataset.passkeyOptions));
      const c =
        kind === 'create'
          ? await navigator.credentials.create({ publicKey: options })
          : await navigator.credentials.get({ publicKey: options });
      if (!c) throw new Error('no credential');
      form.querySelector('input[name="credential"]').value = credentialJson(kind, c);
      form.submit();
    } catch {
      say(form.dataset.textCancelled);
      button.disabled = false;
    }
  });
}
