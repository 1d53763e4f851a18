import type { FlowHandle } from '../../service/reset-service.ts';

/**
 * The browser binding of a reset flow: one cookie holding `<flowId>.<secret>`, replaced at every
 * successful step (the service rotates the secret). `__Host-` + Secure everywhere except a plain
 * `http://localhost` or `http://127.0.0.1` address, where browsers would drop a Secure cookie.
 */
export interface CookieSpec {
  readonly name: string;
  readonly options: {
    readonly path: '/';
    readonly httpOnly: true;
    readonly sameSite: 'lax';
    readonly secure: boolean;
  };
}

export const SECURE_FLOW_COOKIE = '__Host-sspr_flow';
export const PLAIN_FLOW_COOKIE = 'sspr_flow';
export const SECURE_CSRF_COOKIE = '__Host-sspr_csrf';
export const PLAIN_CSRF_COOKIE = 'sspr_csrf';

/** Whether `publicUrl` is a local plain-http address (the only case without Secure cookies). */
export function isLocalHttp(publicUrl: string): boolean {
  return /^http:\/\/(localhost|127\.0\.0\.1)([:/]|$)/i.test(publicUrl);
}

function spec(publicUrl: string, secureName: string, plainName: string): CookieSpec {
  const local = isLocalHttp(publicUrl);
  return {
    name: local ? plainName : secureName,
    options: { path: '/', httpOnly: true, sameSite: 'lax', secure: !local },
  };
}

export function flowCookieSpec(publicUrl: string): CookieSpec {
  return spec(publicUrl, SECURE_FLOW_COOKIE, PLAIN_FLOW_COOKIE);
}

/** The CSRF secret's cookie: Lax (not Strict) so that opening the email link does not replace it. */
export function csrfCookieSpec(publicUrl: string): CookieSpec {
  return spec(publicUrl, SECURE_CSRF_COOKIE, PLAIN_CSRF_COOKIE);
}

export function flowCookieValue(handle: FlowHandle): string {
  return `${handle.flowId}.${handle.secret}`;
}

const VALUE = /^([A-Za-z0-9_-]{10,64})\.([A-Za-z0-9_-]{10,128})$/;

/** The handle in a cookie value, or null when it is missing or not shaped like one. */
export function parseFlowCookie(value: string | undefined): FlowHandle | null {
  if (typeof value !== 'string') return null;
  const m = VALUE.exec(value);
  return m ? { flowId: m[1]!, secret: m[2]! } : null;
}
