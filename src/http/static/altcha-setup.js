/* global $altcha, Worker */
// Loads the ALTCHA widget (the `external` build: no inline styles or workers, so it runs under
// our CSP) and gives it the worker that solves our SHA-256 challenges. Served from our origin.
import '/static/altcha/altcha.js';

const shaWorker = () => new Worker('/static/altcha/sha-worker.js');
for (const algorithm of ['SHA-256', 'SHA-384', 'SHA-512']) $altcha.algorithms.set(algorithm, shaWorker);
