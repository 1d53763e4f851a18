import assert from 'node:assert/strict';
import { solveChallenge, type Challenge } from 'altcha-lib';
import { deriveKey } from 'altcha-lib/algorithms/sha';
import type { FastifyInstance } from 'fastify';
import type { Captcha } from '../../src/ports/captcha.ts';

/**
 * The one CAPTCHA solver of the tests: solves an ALTCHA challenge the way the widget does and packs
 * the payload it would submit (base64 JSON of the challenge and the solution).
 */
export async function solveCaptcha(challenge: Challenge): Promise<string> {
  const solution = await solveChallenge({ challenge, deriveKey, timeout: 30_000 });
  assert.ok(solution, 'the CAPTCHA challenge is solvable');
  return Buffer.from(JSON.stringify({ challenge, solution })).toString('base64');
}

/** A solved payload for a challenge the server serves at `url` (the pages' or the API's challenge route), through inject. */
export async function captchaFromServer(server: FastifyInstance, url = '/reset/challenge'): Promise<string> {
  const res = await server.inject({ url });
  assert.equal(res.statusCode, 200, `challenge served at ${url}`);
  return solveCaptcha(res.json<Challenge>());
}

/** A solved payload for a challenge fetched over HTTP from a listening instance at `base`. */
export async function captchaFromUrl(base: string, path = '/reset/challenge'): Promise<string> {
  const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200, 'challenge served');
  return solveCaptcha((await res.json()) as Challenge);
}

/** A solved payload for a challenge made by the App's CAPTCHA port directly. */
export async function captchaFromApp(app: { readonly captcha: Captcha }): Promise<string> {
  return solveCaptcha((await app.captcha.challenge()) as Challenge);
}
