// The heavy SDKs must load only when a step needs them (dynamic import() in src/clients).
// Each one, when it is evaluated, adds its name to globalThis.__gitopsDeploySdks, so tests and
// `npm run bench` can assert that activation and the tree load none of them.
export const LAZY_SDKS = ['@aws-sdk/client-ecr', '@kubernetes/client-node', '@octokit/rest', '@octokit/plugin-retry', '@octokit/plugin-throttling', '@sigstore/verify', '@sigstore/bundle', '@sigstore/core', '@sigstore/protobuf-specs'];

const escape = (s) => s.replace(/[/.]/g, '\\$&');

/** @type {import('esbuild').Plugin} */
export const sdkMarker = {
  name: 'sdk-load-marker',
  setup(build) {
    const filter = new RegExp(`^(${LAZY_SDKS.map(escape).join('|')})$`);
    build.onResolve({ filter }, (args) => {
      if (args.pluginData === 'sdk-marker') return undefined; // the real package
      return { path: args.path, namespace: 'sdk-marker', pluginData: args.resolveDir };
    });
    build.onLoad({ filter: /.*/, namespace: 'sdk-marker' }, (args) => ({
      contents: `export * from ${JSON.stringify(args.path)};\n(globalThis.__gitopsDeploySdks ??= []).push(${JSON.stringify(args.path)});\n`,
      resolveDir: args.pluginData,
      pluginData: 'sdk-marker',
    }));
  },
};

/** The file name of an SDK's own bundle under dist/sdk/. */
export const sdkFile = (name) => `${name.replace(/^@/, '').replace(/\//g, '-')}.js`;

/**
 * For the extension: each SDK lives in its own bundle (dist/sdk/*.js), required only when a step
 * imports it, so loading the extension parses none of them.
 */
export const sdkSplit = {
  name: 'sdk-split',
  setup(build) {
    const filter = new RegExp(`^(${LAZY_SDKS.map(escape).join('|')})$`);
    // A CommonJS shim per SDK: esbuild evaluates it lazily (only when the import() runs), and it
    // requires the SDK's own bundle relative to dist/extension.js.
    build.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'sdk-split' }));
    build.onLoad({ filter: /.*/, namespace: 'sdk-split' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(`./sdk/${sdkFile(args.path)}`)});\n`, loader: 'js' }));
    build.onResolve({ filter: /^\.\/sdk\// }, (args) => ({ path: args.path, external: true }));
  },
};

/** Build options for the SDK bundles; each records its load in globalThis.__gitopsDeploySdks. */
export function sdkBuilds(common) {
  return LAZY_SDKS.map((name) => ({
    ...common,
    plugins: [],
    stdin: { contents: `export * from ${JSON.stringify(name)};\n(globalThis.__gitopsDeploySdks ??= []).push(${JSON.stringify(name)});\n`, resolveDir: process.cwd(), loader: 'js' },
    outfile: `dist/sdk/${sdkFile(name)}`,
  }));
}

/** For the CLI's entry: the core (dist/cli-main.js) is required from its own file, for a command only. */
export const coreSplit = {
  name: 'cli-core-split',
  setup(build) {
    build.onResolve({ filter: /^\.\/cli-main\.js$/ }, (args) => ({ path: args.path, external: true }));
  },
};
