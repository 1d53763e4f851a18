/* global $altcha, Worker, document */
// Loads the ALTCHA widget (the `external` build: no inline styles or workers, so it runs under
// our CSP) and gives it the worker that solves our SHA-256 challenges. Served from our origin.
import '/static/altcha/altcha.js';

const shaWorker = () => new Worker('/static/altcha/sha-worker.js');
for (const algorithm of ['SHA-256', 'SHA-384', 'SHA-512']) $altcha.algorithms.set(algorithm, shaWorker);

// The widget's words in the page's language, from our catalogues (data-strings on the widget):
// ALTCHA picks its strings by the page's lang from $altcha.i18n.
const lang = document.documentElement.lang.toLowerCase();
for (const widget of document.querySelectorAll('altcha-widget[data-strings]')) {
  $altcha.i18n.set(lang, JSON.parse(widget.dataset.strings));
}
