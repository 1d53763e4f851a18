// Preloaded into every test process by scripts/test.mjs (`--import`): password hashes use the
// smallest argon2id parameters, so the hundreds of hashes the suite computes take ~1 ms each rather
// than ~50 ms. Only the hasher's own test (test/adapters/argon2-hasher.test.ts) puts the production
// parameters back to check them. Processes the tests spawn (`sspr serve`) keep the production ones.
import { ARGON2_TEST_PARAMETERS, setArgon2ParametersForTests } from '../../src/adapters/crypto/argon2-hasher.ts';

setArgon2ParametersForTests(ARGON2_TEST_PARAMETERS);
