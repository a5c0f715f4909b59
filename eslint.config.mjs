import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.vulnzero/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/apps/**'], message: 'A lib never imports an app.' }] },
      ],
    },
  },
  {
    // core/ is pure: no Nest, no TypeORM, no ssh2, no I/O.
    files: ['libs/*/src/core/**/*.ts'],
    // Specs may do I/O to prove a core function against the real thing (e.g. sh).
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@nestjs/*', 'typeorm', 'ssh2', 'bullmq', 'ioredis', 'pg', 'node:fs', 'fs', 'node:child_process'], message: 'core/ is pure logic.' },
            { group: ['@vulnzero/*'], message: 'core/ imports only other core code, by relative path.' },
          ],
        },
      ],
    },
  },
  {
    // Suites inspect untyped JSON responses.
    files: ['test/**/*.ts', '**/*.spec.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);
