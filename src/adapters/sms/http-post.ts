/**
 * One HTTP POST to an SMS provider with a time limit. Network errors and timeouts come back as
 * values (`{ kind: 'network' }`) so the senders can map every outcome to a DeliveryResult;
 * their text never includes the request body.
 */
export type PostOutcome =
  | { readonly kind: 'response'; readonly status: number; readonly body: string }
  | { readonly kind: 'network'; readonly reason: string };

export async function postWithTimeout(
  url: string,
  init: { readonly headers: Record<string, string>; readonly body: string },
  timeoutMs: number,
): Promise<PostOutcome> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: init.headers,
      body: init.body,
      redirect: 'error',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await res.text();
    return { kind: 'response', status: res.status, body };
  } catch (e) {
    return { kind: 'network', reason: networkReason(e, timeoutMs) };
  }
}

function networkReason(e: unknown, timeoutMs: number): string {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError'))
    return `no answer within ${timeoutMs} ms`;
  const cause = e instanceof Error ? (e.cause as { code?: unknown } | undefined) : undefined;
  const code = cause && typeof cause.code === 'string' ? cause.code : null;
  return code ? `network error (${code})` : 'network error';
}

/** Provider-supplied text, made safe to store: one line, bounded, no control characters. */
export function tidy(s: string, max = 200): string {
  const line = s.replace(/\p{Cc}+/gu, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
