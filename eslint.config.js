// Lint: typescript-eslint's type-checked rules over everything we write; Prettier owns the formatting.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // examples/ are type-checked against the packed tarball by test/package/consumer.test.ts, as their users will.
  { ignores: ['dist/', 'coverage/', 'test-artifacts/', 'node_modules/', '.tools/', 'examples/', '.lzc-build/', 'eslint.config.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  ...tseslint.configs.stylisticTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: { allowDefaultProject: ['scripts/*.mjs'] }, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Numbers and booleans read fine in messages; objects would print [object Object].
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      // `declare global { namespace Express { … } }` is how Express's request type is extended.
      '@typescript-eslint/no-namespace': ['error', { allowDeclarations: true }],
      // `||` on strings on purpose: an empty string (an unset variable, an empty regex group) means "absent" too.
      '@typescript-eslint/prefer-nullish-coalescing': ['error', { ignorePrimitives: { string: true }, ignoreTernaryTests: true }],
      // T[] for simple types, Array<…> where the element type is itself complex.
      '@typescript-eslint/array-type': ['error', { default: 'array-simple' }],
      // Callback adapters pass on whatever error they were given: it is the store's or the library's, not ours to wrap.
      '@typescript-eslint/prefer-promise-reject-errors': 'off',
      // `async` keeps a hook or adapter Promise-returning as its interface asks (oidc-provider, stores), awaiting or not.
      '@typescript-eslint/require-await': 'off',
      // `.catch(() => {})` is how a deliberately ignored rejection reads.
      '@typescript-eslint/no-empty-function': ['error', { allow: ['arrowFunctions'] }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  {
    // Plain JavaScript run by lzc-cli's build hook: no types to check.
    files: ['**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
  {
    // supertest's res.body and JSON.parse are `any` by design; the tests' assertions are what check their shape.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  prettier,
);
