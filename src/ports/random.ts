/** Cryptographically secure randomness. Core and service never call Math.random or crypto themselves. */
export interface Random {
  bytes(length: number): Uint8Array;
  /** Uniform integer in [0, bound). */
  intBelow(bound: number): number;
  /** Uniform float in [0, 1), for jitter only, never for secrets. */
  unit(): number;
  uuid(): string;
}
