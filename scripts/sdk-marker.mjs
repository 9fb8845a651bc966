// The heavy SDKs must load only when a step needs them (dynamic import() in src/clients).
// Each one, when it is evaluated, adds its name to globalThis.__gitopsDeploySdks, so tests and
// `npm run bench` can assert that activation and the tree load none of them.
export const LAZY_SDKS = ['@aws-sdk/client-ecr', '@kubernetes/client-node', '@octokit/rest'];

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
