import { hash, verify } from '@node-rs/argon2';
import type { PasswordHasher } from '../../ports/password-hasher.ts';

/** OWASP's argon2id parameters: m = 19 MiB, t = 2, p = 1. @node-rs/argon2 runs on libuv's thread pool, off the event loop. */
export const ARGON2_OPTIONS = {
  algorithm: 2 /* Algorithm.Argon2id: a const enum, not importable under verbatimModuleSyntax */,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export const argon2Hasher: PasswordHasher = {
  hash: (password) => hash(password, ARGON2_OPTIONS),
  verify: async (phc, password) => {
    try {
      return await verify(phc, password);
    } catch {
      return false;
    }
  },
};
