// `node --import ./test/helpers/record-imports.mjs …` with RECORD_IMPORTS_FILE=<file>: every
// package specifier the process imports (static `import` or `import()`, through the ESM loader) is
// appended to <file>, one a line, as it is resolved. Plain JavaScript, so that plain node (the
// production bundle, no tsx) can preload it. Used by test/cli/build.test.ts to check which packages
// a started server holds.
import { register } from 'node:module';

const file = process.env.RECORD_IMPORTS_FILE;
if (file) register(new URL('./record-imports-hooks.mjs', import.meta.url), { data: { file } });
