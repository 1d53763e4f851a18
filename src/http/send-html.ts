import type { VNode } from 'preact';
import type { FastifyReply } from 'fastify';
import { renderPage } from './views/layout.tsx';

/** Sends a server-rendered page (usually a `<Layout>`) as a complete HTML document. */
export function sendHtml(reply: FastifyReply, page: VNode, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(renderPage(page));
}
