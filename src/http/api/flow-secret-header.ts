import type { FastifyRequest } from 'fastify';
import type { FlowHandle } from '../../service/reset-service.ts';

/** The header that carries an API client's flow credential: `<flowId>.<flowSecret>`. */
export const FLOW_SECRET_HEADER = 'x-flow-secret';

const HEADER_VALUE = /^([A-Za-z0-9_-]{10,128})\.([A-Za-z0-9_-]{10,128})$/;

/**
 * The flow handle in `X-Flow-Secret`, or null when it is missing, repeated or not of the form
 * `<flowId>.<secret>` (both base64url). Whether the secret matches is the service's business.
 */
export function parseFlowSecretHeader(request: FastifyRequest): FlowHandle | null {
  const value = request.headers[FLOW_SECRET_HEADER];
  if (typeof value !== 'string') return null;
  const match = HEADER_VALUE.exec(value);
  if (!match) return null;
  return { flowId: match[1]!, secret: match[2]! };
}
