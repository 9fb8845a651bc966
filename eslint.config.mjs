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

// The layers the folders promise, lowest first: src/pipeline/{config,model} ← steps ← runner ←
// deploy (and the flows built on it: follow, schedule, recheck, troubleshoot) ← src/cli*,
// src/providers, src/commands. A file may import from its own layer or below, never above;
// providers never import commands (commands use providers). See docs/architecture.md.
const above = (...names) => names.map((n) => `**/pipeline/${n}`).concat(names.map((n) => `./${n}`), names.map((n) => `../${n}`));
const layer = (files, forbidden, why) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', {
      paths: files.some((f) => f.startsWith('src/pipeline') || f.startsWith('src/clients')) ? [...noShellStrings, { name: 'vscode', message: 'src/pipeline and src/clients are VS Code-free: declare a port and adapt it in src/providers or src/commands.' }] : noShellStrings,
      patterns: [{ group: forbidden, message: why }],
    }],
  },
});
// github/port.ts is a port (the adapters implement it); the other github/ files are flows.
const flows = ['deploy', 'recheck', 'troubleshoot', 'follow/*', 'schedule/*', 'github/deployments', 'github/follow', 'github/workflow'];

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
  layer(['src/pipeline/model/**/*.ts', 'src/pipeline/config/**/*.ts'], [...above('steps/*', 'checks/*', 'runner', 'outcome', ...flows), '**/clients/*', '**/providers/*', '**/commands/*'], 'the repository model is the lowest layer: it imports no step, runner, flow or adapter.'),
  layer(['src/pipeline/steps/**/*.ts', 'src/pipeline/checks/**/*.ts'], [...above(...flows).filter((p) => !p.startsWith('./')), '**/clients/*', '**/providers/*', '**/commands/*'], 'a step or check is below the flows that compose it (deploy, follow, schedule…) and talks to the world through ports, not adapters.'),
  layer(['src/pipeline/runner.ts'], [...above('steps/*', 'checks/*', 'outcome', ...flows), '**/clients/*'], 'the runner runs any steps: it knows none of them, nor the pipeline built on it.'),
  layer(['src/clients/**/*.ts'], [...above('steps/*', 'checks/*', 'runner', ...flows), '**/providers/*', '**/commands/*', '**/cli', '**/cli/*'], 'an adapter implements a port of the core: it imports the port and the model, never steps, flows or the editor.'),
  layer(['src/providers/**/*.ts'], ['**/commands/*', '../commands'], 'providers are below commands: a command uses providers, never the reverse (pass what the provider needs in).'),
);
