import type { VNode } from 'preact';
import type { FastifyReply } from 'fastify';
import { renderPage } from './views/layout.tsx';

/** Sends a server-rendered page (usually a `<Layout>`) as a complete HTML document, in the request's language. */
export function sendHtml(reply: FastifyReply, page: VNode, status = 200): FastifyReply {
  // request.i18n is set for every request except those refused before any hook runs (malformed URLs)
  const i18n = (reply.request.i18n as typeof reply.request.i18n | null) ?? 'en';
  return reply.code(status).type('text/html; charset=utf-8').send(renderPage(page, i18n));
}
