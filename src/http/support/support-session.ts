import type { FastifyReply } from 'fastify';
import type { App } from '../../service/app.ts';
import { isLocalHttp } from '../reset/flow-cookie.ts';

export const SECURE_SUPPORT_COOKIE = '__Host-sspr_support';
export const PLAIN_SUPPORT_COOKIE = 'sspr_support';

/**
 * The operator's session cookie: `__Host-`, Secure, HttpOnly, SameSite=Strict (operators type the
 * console's address; nothing links into it from elsewhere). Plain name on http://localhost only.
 */
export interface SupportCookieSpec {
  readonly name: string;
  readonly options: {
    readonly path: '/';
    readonly httpOnly: true;
    readonly sameSite: 'strict';
    readonly secure: boolean;
  };
}

export function supportCookieSpec(publicUrl: string): SupportCookieSpec {
  const local = isLocalHttp(publicUrl);
  return {
    name: local ? PLAIN_SUPPORT_COOKIE : SECURE_SUPPORT_COOKIE,
    options: { path: '/', httpOnly: true, sameSite: 'strict', secure: !local },
  };
}

export function setSupportCookie(app: App, reply: FastifyReply, token: string): void {
  const cookie = supportCookieSpec(app.config.public_url);
  void reply.setCookie(cookie.name, token, { ...cookie.options });
}

export function clearSupportCookie(app: App, reply: FastifyReply): void {
  const cookie = supportCookieSpec(app.config.public_url);
  void reply.clearCookie(cookie.name, { ...cookie.options });
}
