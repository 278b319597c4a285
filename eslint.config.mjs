// @ts-check
// ESLint (flat config) for SICI: typescript-eslint's type-checked recommended rules on every .ts file
// (bin, lib, lambda, test, bench), aimed at real defects (floating promises, unused code, untyped
// `any`), not style. `npm test` runs it (`npm run lint`) between tsc and jest.
import eslint from '@eslint/js';
import comments from '@eslint-community/eslint-plugin-eslint-comments/configs';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['node_modules/', 'cdk.out/', '.sici/', 'docs/', 'coverage/', 'bench/out/'] },

  // An `eslint-disable` that no longer suppresses anything fails the lint, and every one must say
  // why (`// eslint-disable-next-line rule -- reason`).
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  comments.recommended,
  { rules: { '@eslint-community/eslint-comments/require-description': ['error', { ignore: [] }] } },

  eslint.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      // Type information from tsconfig.json, which includes every linted .ts file.
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // In the recommended set already; stated so that they stay on whatever the preset does.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-require-imports': 'error',
      // `_name` marks a parameter or binding that is unused on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          args: 'all',
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrors: 'all',
          caughtErrorsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          ignoreRestSiblings: true,
        },
      ],
      // Off: the `async` methods without `await` here implement Promise-returning interfaces
      // (spec stores, workflows, deployers, fakes), where `async` is deliberate: a synchronous throw
      // becomes a rejection. Removing it would change behaviour, not fix a defect.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests read synthesized CloudFormation templates (`Template.toJSON()`, `JSON.parse`), which are
    // `any` by nature: the no-unsafe-* rules would flag over a thousand idiomatic lines such as
    // `template.Resources[id].Properties.Policies`. `no-explicit-any` still applies to tests.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // jest.config.js and test/support/summary-reporter.js: plain CommonJS for Node.
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { process: 'readonly' } },
  },
);
