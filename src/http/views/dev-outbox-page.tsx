import type { VNode } from 'preact';
import type { DevOutboxEntry } from '../../ports/messaging.ts';
import { Layout } from './layout.tsx';

export interface DevOutboxPageProps {
  /** Newest first. */
  readonly messages: readonly DevOutboxEntry[];
}

/**
 * Development only: every message the dev outbox kept. Text is shown as text and the HTML part
 * as escaped source — never rendered — so a message can't run anything in this page. Inline
 * images (a tenant's logo, referred to by `cid:` in the HTML) are shown as data: URLs.
 */
export function DevOutboxPage({ messages }: DevOutboxPageProps): VNode {
  return (
    <Layout title="Dev outbox" refreshSeconds={5}>
      <h1>Dev outbox</h1>
      <p class="notice">
        Development only: messages that would have been sent by email or SMS. This page reloads every 5 seconds.{' '}
        <a href="/dev/outbox">Refresh now</a> · <a href="/dev/outbox.json">JSON</a>
      </p>
      {messages.length === 0 ? (
        <p>No messages yet.</p>
      ) : (
        <ol class="outbox" reversed>
          {messages.map((m) => (
            <li key={m.id} class="outbox-message">
              <dl>
                <dt>Time</dt>
                <dd>
                  <time dateTime={new Date(m.at).toISOString()}>{new Date(m.at).toISOString()}</time>
                </dd>
                <dt>Channel</dt>
                <dd>{m.channel === 'email' ? 'Email' : 'SMS'}</dd>
                <dt>To</dt>
                <dd>{m.to}</dd>
                {m.subject !== null ? (
                  <>
                    <dt>Subject</dt>
                    <dd>{m.subject}</dd>
                  </>
                ) : null}
              </dl>
              <pre class="message-text">{m.text}</pre>
              {m.images.map((image) => (
                <figure key={image.cid} class="message-image">
                  <img src={image.dataUrl} alt={`cid:${image.cid}`} />
                  <figcaption>
                    Inline image <code>cid:{image.cid}</code> ({image.contentType})
                  </figcaption>
                </figure>
              ))}
              {m.html !== null ? (
                <details>
                  <summary>HTML source</summary>
                  <pre class="message-html">{m.html}</pre>
                </details>
              ) : null}
            </li>
          ))}
        </ol>
      )}
    </Layout>
  );
}
