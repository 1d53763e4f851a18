import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { Random } from '../../ports/random.ts';

export const cryptoRandom: Random = {
  bytes: (length) => new Uint8Array(randomBytes(length)),
  intBelow: (bound) => randomInt(bound),
  unit: () => randomBytes(6).readUIntBE(0, 6) / 2 ** 48,
  uuid: () => randomUUID(),
};
