import { availableParallelism } from 'node:os';
import { hash, verify } from '@node-rs/argon2';
import pLimit from 'p-limit';
import type { PasswordHasher } from '../../ports/password-hasher.ts';

/** OWASP's argon2id parameters: m = 19 MiB, t = 2, p = 1. @node-rs/argon2 runs on libuv's thread pool, off the event loop. */
export const ARGON2_OPTIONS = {
  algorithm: 2 /* Algorithm.Argon2id: a const enum, not importable under verbatimModuleSyntax */,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

/**
 * Runs at most `concurrency` hashes and checks of `inner` at a time; the others wait in line, in
 * order. For argon2id one per core is enough: more in flight do not finish sooner (each takes a
 * whole core), but each holds its 19 MiB and a libuv thread that file and DNS work also need.
 */
export function limitConcurrency(inner: PasswordHasher, concurrency: number): PasswordHasher {
  const slot = pLimit(Math.max(1, Math.floor(concurrency)));
  return {
    hash: (password) => slot(() => inner.hash(password)),
    verify: (phc, password) => slot(() => inner.verify(phc, password)),
  };
}

export interface Argon2Parameters {
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

let parameters: Argon2Parameters = ARGON2_OPTIONS;

/** The smallest parameters argon2id accepts (m = 8 KiB, t = 1, p = 1): ~1 ms instead of ~50 ms a hash. */
export const ARGON2_TEST_PARAMETERS: Argon2Parameters = { memoryCost: 8, timeCost: 1, parallelism: 1 };

/**
 * TESTS ONLY: the parameters new hashes use from now on in this process (scripts/test.mjs preloads
 * test/helpers/cheap-hashing.ts, which sets ARGON2_TEST_PARAMETERS; the hasher's own test sets
 * ARGON2_OPTIONS back). Verification reads the parameters from each hash, so both kinds verify.
 * Nothing in src calls it: a running service always hashes with ARGON2_OPTIONS.
 */
export function setArgon2ParametersForTests(next: Argon2Parameters): void {
  parameters = next;
}

export const argon2Hasher: PasswordHasher = limitConcurrency(
  {
    hash: (password) => hash(password, { ...ARGON2_OPTIONS, ...parameters }),
    verify: async (phc, password) => {
      try {
        return await verify(phc, password);
      } catch {
        return false;
      }
    },
  },
  availableParallelism(),
);
