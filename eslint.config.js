import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'docs/', 'coverage/', 'dist/', 'bench/tmp/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  { languageOptions: { globals: { ...globals.node } } },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']",
          message: 'Use the Random port (crypto randomness).',
        },
      ],
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
  {
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../adapters/*', '../http/*', '../cli/*', '../service/*', '../ports/*', '../config/*'],
              message: 'core imports nothing outside core.',
            },
            {
              group: [
                'node:fs*',
                'node:net',
                'node:http*',
                'pg',
                'better-sqlite3',
                'kysely',
                'fastify',
                'nodemailer',
                'ioredis',
              ],
              message: 'core does no I/O.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/http/**', 'src/cli/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../adapters/*', '../../adapters/*'],
              message: 'http/cli never import adapters; go through compose.ts.',
            },
          ],
        },
      ],
    },
  },
);
