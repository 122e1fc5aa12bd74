// One lint config for the whole workspace: type-aware rules that catch what tests miss
// (floating promises, unsafe switch fallthrough) and package boundaries.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/node_modules/**', 'test-artifacts/**', 'bench/results/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'separate-type-imports' }],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-empty-object-type': 'off',
    },
  },
  {
    // The client never reaches into the node; modules see only the SDK (and shared libraries).
    files: ['packages/client/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['@insights/node', '@insights/node/*'] }] },
  },
  {
    // The module runtime knows nothing of where modules run: @insights/sandbox depends on it, not the reverse.
    files: ['packages/runtime/src/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: ['@insights/sandbox', '@insights/sandbox/*'] }] },
  },
  {
    files: ['modules/*/src/**/*.ts'],
    ignores: ['modules/*/src/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            '@insights/node',
            '@insights/runtime',
            '@insights/sandbox',
            '@insights/client',
            '@insights/registry',
            '@insights/wire',
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
