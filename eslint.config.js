import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

/** A relative import that climbs out into one of `layers` (src/<layer>/…, or src/compose.ts as `compose`). */
function wall(layers, message) {
  return [{ regex: `^(\\.\\./)+(${layers.join('|')})(/|\\.ts$|$)`, message }];
}
const CORE_OUTSIDE = ['adapters', 'http', 'cli', 'service', 'ports', 'config', 'compose'];
const SERVICE_OUTSIDE = ['adapters', 'http', 'cli', 'config', 'compose'];
const CORE_NO_IO = {
  group: ['node:fs*', 'node:net', 'node:http*', 'pg', 'better-sqlite3', 'kysely', 'fastify', 'nodemailer', 'ioredis'],
  message: 'core does no I/O.',
};
const MATH_RANDOM = {
  selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
  message: 'Use the Random port (crypto randomness).',
};

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'docs/', 'coverage/', 'dist/', 'bench/tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': ['error', MATH_RANDOM],
    },
  },
  {
    files: ['src/core/**', 'src/service/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'Take time from the Clock port.',
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'Take time from the Clock port.',
        },
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
          message: 'Use the Random port.',
        },
      ],
    },
  },
  // The layer walls (docs/architecture.md): core imports nothing outside core; services never read
  // the configuration loader nor reach adapters or the outer layers; HTTP and the CLI never import
  // an adapter (they get services from the composition root, src/compose.ts). Checked on static
  // imports, re-exports and dynamic `import()`; test/lint/layout-walls.test.ts proves each wall bites.
  {
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [...wall(CORE_OUTSIDE, 'core imports nothing outside core.'), CORE_NO_IO] },
      ],
    },
  },
  {
    files: ['src/service/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: wall(
            SERVICE_OUTSIDE,
            'service never imports config, adapters, http or cli: it receives values and ports.',
          ),
        },
      ],
    },
  },
  {
    files: ['src/http/**', 'src/cli/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: wall(['adapters'], 'http/cli never import adapters; go through compose.ts.') },
      ],
      'no-restricted-syntax': [
        'error',
        MATH_RANDOM,
        {
          selector: 'ImportExpression[source.value=/(^|\\/)adapters\\//]',
          message: 'http/cli never import adapters; go through compose.ts.',
        },
      ],
    },
  },
  {
    // On Node 20 a top-level `after` hook runs as soon as the first awaited top-level test ends, so
    // cleanup ran in the middle of later tests (the Redis limiter contract lost its count that way).
    files: ['test/**/*.test.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        MATH_RANDOM,
        {
          selector: 'Program > ExpressionStatement > AwaitExpression',
          message:
            'No top-level await in a test file: on Node 20 a top-level after() runs at the first pause between tests. Register tests synchronously; group them in describe() with its own after().',
        },
      ],
    },
  },
);
