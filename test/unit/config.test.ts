import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { applicationName, findRepoRoot, loadConfig, parseConfig, upstreamOf } from '../../src/pipeline/config/load';
import { STARTER_CONFIG } from '../../src/pipeline/config/starter';
import { FileProblem } from '../../src/pipeline/errors';

const ROOT = '/repo';

function problem(text: string): FileProblem {
  try {
    parseConfig(ROOT, text);
  } catch (e) {
    assert.ok(e instanceof FileProblem, `expected FileProblem, got ${e}`);
    return e;
  }
  assert.fail('expected the config to be refused');
}

describe('.gitops-deploy.yaml', () => {
  it('defaults match the seed layout without a file', () => {
    const c = parseConfig(ROOT, undefined);
    assert.deepEqual(c.environments.map((e) => e.name), ['dev', 'stag', 'prod']);
    assert.equal(c.environments[1].valuesFile, '/repo/helm/environments/stag-env/image-tags.yaml');
    assert.equal(c.environments[2].recordsDir, '/repo/docs/deployments/prod');
    assert.equal(c.environments[2].requireReason, true);
    assert.equal(c.environments[0].requireReason, false);
    assert.equal(c.environments[2].requireUpstreamRecord, true);
    assert.equal(c.environments[0].window, undefined);
    assert.deepEqual(c.environments[2].window, { timeZone: 'America/New_York', blocked: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '17:00' }], freezes: [] });
    assert.equal(c.signing.mode, 'verify');
    assert.equal(c.verification.syncTimeoutSeconds, 300);
    assert.equal(c.verification.errorRateThreshold, 0.01);
    assert.equal(upstreamOf(c, 'prod')?.name, 'stag');
    assert.equal(upstreamOf(c, 'dev'), undefined);
    assert.equal(applicationName(c.environments[2], 'accounts'), 'accounts-prod');
  });

  it('pinDigest: off by default, on per environment; a non-boolean is refused with its line', () => {
    assert.deepEqual(parseConfig(ROOT, undefined).environments.map((e) => e.pinDigest), [false, false, false]);
    const c = parseConfig(ROOT, 'environments:\n  - name: stag\n  - name: prod\n    pinDigest: true\n');
    assert.deepEqual(c.environments.map((e) => [e.name, e.pinDigest]), [['stag', false], ['prod', true]]);
    const p = problem('environments:\n  - name: prod\n    pinDigest: "yes"\n');
    assert.equal(p.line, 3);
    assert.match(p.message, /environments\[0\]\.pinDigest must be a boolean/);
  });

  it('the starter config is valid and equals the defaults', () => {
    const c = parseConfig(ROOT, STARTER_CONFIG);
    const d = parseConfig(ROOT, undefined);
    assert.deepEqual({ ...c, file: undefined }, { ...d, file: undefined });
  });

  it('reads a full config', () => {
    const c = parseConfig(ROOT, `
environments:
  - name: qa
    valuesFile: deploy/qa.yaml
    namespace: apps
    argocd: { namespace: gitops, application: "{env}-{service}" }
  - name: live
    requireReason: true
    window:
      timeZone: Europe/Berlin
      blocked: [{ days: [sat, sun], from: "00:00", to: "24:00" }]
      freezes: [{ name: Christmas, from: "2026-12-24", to: "2026-12-26" }]
tagPath: "{service}.image.tag"
services:
  accounts: { ecrRepository: eazybank/accounts, port: 9000 }
signing: { mode: exists, publicKeys: [keys/a.pub, keys/b.pub] }
verification: { errorRateThreshold: 0.05, syncTimeoutSeconds: 30 }
`);
    assert.deepEqual(c.environments.map((e) => e.name), ['qa', 'live']);
    assert.equal(c.environments[0].valuesFile, '/repo/deploy/qa.yaml');
    assert.equal(applicationName(c.environments[0], 'cards'), 'qa-cards');
    assert.equal(c.environments[1].window?.timeZone, 'Europe/Berlin');
    assert.equal(c.services.accounts.port, 9000);
    assert.equal(c.services.accounts.deployment, 'accounts-deployment');
    assert.deepEqual(c.signing.publicKeys, ['/repo/keys/a.pub', '/repo/keys/b.pub']);
    assert.equal(c.verification.syncTimeoutSeconds, 30);
  });

  const cases: [string, string, RegExp, number | undefined][] = [
    ['unknown top-level key with a suggestion', 'environmnets: []\n', /unknown key "environmnets" in \(top level\): did you mean "environments"\?/, 1],
    ['wrong type', 'environments: dev\n', /environments must be a list \(got "dev"\)/, 1],
    ['bad window time', 'environments:\n  - name: prod\n    window:\n      blocked:\n        - { days: [mon], from: "9am", to: "17:00" }\n', /environments\[0\]\.window\.blocked\[0\]\.from is not valid \(got "9am"\): expected Local time HH:MM/, 5],
    ['bad weekday', 'environments:\n  - name: prod\n    window:\n      blocked:\n        - { days: [monday], from: "09:00", to: "17:00" }\n', /environments\[0\]\.window\.blocked\[0\]\.days\[0\] must be one of "mon", "tue"/, 5],
    ['missing environment name', 'environments:\n  - valuesFile: x.yaml\n', /environments\[0\]: missing required key "name"/, 2],
    ['bad signing mode', 'signing:\n  mode: maybe\n', /signing\.mode must be one of "verify", "exists", "off" \(got "maybe"\)/, 2],
    ['threshold out of range', 'verification:\n  errorRateThreshold: 5\n', /verification\.errorRateThreshold must be <= 1 \(got 5\)/, 2],
    ['path escaping the repo', 'environments:\n  - name: dev\n    valuesFile: ../other/values.yaml\n', /environments\[0\]\.valuesFile must be a path inside the repository/, 3],
    ['unknown time zone', 'environments:\n  - name: prod\n    window:\n      timeZone: Eastern\n', /timeZone "Eastern" is not an IANA time zone/, 4],
    ['duplicate environment', 'environments:\n  - name: dev\n  - name: dev\n', /"dev" is listed twice/, 3],
    ['invalid YAML', 'environments:\n  - name: [dev\n', /not valid YAML/, undefined],
    ['a list at the top', '- dev\n- prod\n', /must be a mapping of settings/, 1],
  ];
  for (const [name, text, re, line] of cases) {
    it(`refuses ${name} with one clear message`, () => {
      const p = problem(text);
      assert.match(p.message, re);
      assert.ok(!p.message.includes('\n'), 'one line');
      if (line !== undefined) assert.equal(p.line, line);
    });
  }

  describe('on disk', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'gd-config-'));
    });
    afterEach(async () => {
      await fs.rm(dir, { recursive: true, force: true });
    });

    it('finds the GitOps repo among workspace folders: config file or seed layout', async () => {
      const a = path.join(dir, 'app');
      const b = path.join(dir, 'gitops');
      const c = path.join(dir, 'configured');
      await fs.mkdir(a);
      await fs.mkdir(path.join(b, 'helm/environments/prod-env'), { recursive: true });
      await fs.writeFile(path.join(b, 'helm/environments/prod-env/image-tags.yaml'), 'x: "1"\n');
      await fs.mkdir(c);
      await fs.writeFile(path.join(c, '.gitops-deploy.yaml'), 'tagPath: auto\n');
      assert.equal(await findRepoRoot([a, b, c]), b);
      assert.equal(await findRepoRoot([a, c]), c);
      assert.equal(await findRepoRoot([a]), undefined);
    });

    it('loadConfig names the file and line of a problem', async () => {
      await fs.writeFile(path.join(dir, '.gitops-deploy.yaml'), 'signing:\n  mode: sometimes\n');
      await assert.rejects(loadConfig(dir), (e: FileProblem) => e.file === path.join(dir, '.gitops-deploy.yaml') && e.line === 2 && e.where(dir) === '.gitops-deploy.yaml:2');
    });
  });
});

describe('the precompiled schema validator', () => {
  it('is up to date with schemas/gitops-deploy.schema.json (run npm run build to regenerate)', async () => {
    const { readFileSync } = await import('node:fs');
    const gen = await import(path.resolve(__dirname, '../../scripts/gen-validator.mjs'));
    assert.equal(readFileSync(gen.OUT, 'utf8'), gen.generate());
  });
});
