import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Layout, renderPage, STYLESHEET_HREF } from '../../src/http/views/layout.tsx';

test('the layout is a complete, accessible page shell with one stylesheet and no inline script or style', () => {
  const html = renderPage(Layout({ title: 'Reset <your> password', children: 'Hello & welcome' }));
  assert.match(html, /^<!doctype html><html lang="en" dir="ltr"><head><meta charset="utf-8"\/>/);
  assert.match(html, /<meta name="viewport" content="width=device-width, initial-scale=1"\/>/);
  assert.match(html, /<title>Reset &lt;your> password · sspr<\/title>/, 'the title is escaped');
  assert.equal(html.split('<link rel="stylesheet"').length - 1, 1, 'exactly one stylesheet');
  assert.ok(html.includes(`<link rel="stylesheet" href="${STYLESHEET_HREF}"/>`));
  assert.match(html, /<header class="site-header">.*sspr.*<\/header>/);
  assert.match(html, /<main id="main"[^>]*>Hello &amp; welcome<\/main>/);
  assert.match(html, /<a class="skip-link" href="#main">/);
  assert.doesNotMatch(html, /<script|<style|style="| on[a-z]+="/i);
  assert.doesNotMatch(html, /http-equiv="refresh"/, 'no refresh unless asked');
  assert.match(renderPage(Layout({ title: 'x', refreshSeconds: 5 })), /<meta http-equiv="refresh" content="5"\/>/);
});
