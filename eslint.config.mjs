import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noShellStrings = ['child_process', 'node:child_process'].map((name) => ({
  name,
  importNames: ['exec', 'execSync'],
  message: 'Never shell out with a string: use execFile/spawn with an argument array.',
}));
const noVscode = {
  'no-restricted-imports': ['error', {
    paths: [...noShellStrings, { name: 'vscode', message: 'src/pipeline and src/clients are VS Code-free: declare a port and adapt it in src/providers or src/commands.' }],
  }],
};

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', '.sandbox/**', 'media/**/*.min.js', 'media/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', URL: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', fetch: 'readonly', performance: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', setImmediate: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-restricted-imports': ['error', { paths: noShellStrings }],
      'no-restricted-syntax': ['error', { selector: "CallExpression[callee.property.name=/^exec(Sync)?$/][callee.object.name=/^(cp|childProcess|child_process)$/]", message: 'Never shell out with a string: use execFile with an argument array.' }],
    },
  },
  { files: ['test/**/*.ts', 'scripts/**/*.{ts,mjs}', 'sandbox/**/*.ts'], rules: { '@typescript-eslint/no-require-imports': 'off' } },
  { files: ['src/pipeline/**/*.ts', 'src/clients/**/*.ts', 'src/cli.ts'], rules: noVscode },
);
