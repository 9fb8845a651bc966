// The deployment commands' pure parts: quick-pick items from the repository state, CodeLens lines,
// and the credential pickers' parsers. Plain mocha against a copy of the e2e fixture repository.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { environmentItems, promotionItems, rollbackItems, serviceItems, tagItems, typedTagItem } from '../../src/providers/pickItems';
import { targetOf } from '../../src/commands/runFlow';
import { loadRepoState, type RepoState } from '../../src/pipeline/model/repoState';
import { codeLensSpecs } from '../../src/providers/codeLensLines';
import { awsProfiles, credentialKind, credentialKindOfError, kubeconfigFiles, kubeContexts } from '../../src/providers/credentialsParse';
import { PortError } from '../../src/pipeline/model/cause';

const FIXTURE = path.resolve(__dirname, '../e2e/fixtures/gitops-repo');
const NOW = new Date('2026-11-26T20:00:00Z'); // Thursday 15:00 New York: prod's window is closed

function record(service: string, env: string, tag: string, status: string, startedAt: string, actor = 'bob', extra = ''): string {
  return `---\nservice: ${service}\nenvironment: ${env}\ntag: "${tag}"\nstatus: ${status}\nstartedAt: ${startedAt}\nactor: ${actor}\n${extra}---\n# ${service}\n`;
}

describe('commands: quick-pick items, CodeLens lines, credential parsers', () => {
  let root: string;
  let state: RepoState;

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'commands-unit-'));
    fs.cpSync(FIXTURE, root, { recursive: true });
    const stag = path.join(root, 'docs/deployments/stag');
    fs.writeFileSync(path.join(stag, '20261110T100000Z-accounts.md'), record('accounts', 'stag', '1.4.0', 'succeeded', '2026-11-10T10:00:00Z', 'bob', 'reason: "CHG-1100 statements"\n'));
    fs.writeFileSync(path.join(stag, '20261101T100000Z-accounts.md'), record('accounts', 'stag', '1.3.0', 'succeeded', '2026-11-01T10:00:00Z', 'dave'));
    fs.writeFileSync(path.join(stag, '20261102T100000Z-accounts.md'), record('accounts', 'stag', '1.3.5', 'failed', '2026-11-02T10:00:00Z', 'dave'));
    state = await loadRepoState(root, NOW);
    assert.equal(state.configProblem, undefined);
  });

  after(() => fs.rmSync(root, { recursive: true, force: true }));

  describe('service and environment items', () => {
    it('lists each service once with its tag per environment and where it drifts', () => {
      const items = serviceItems(state);
      assert.deepEqual(items.map((i) => i.label), ['accounts', 'cards', 'loans', 'gateway']);
      const accounts = items[0];
      assert.equal(accounts.description, 'dev 1.6.0 · stag 1.5.0 · prod 1.4.0');
      assert.match(accounts.detail!, /stag is behind dev \(1\.6\.0\); prod is behind stag \(1\.5\.0\)/);
      const gateway = items.find((i) => i.service === 'gateway')!;
      assert.match(gateway.detail!, /prod is behind stag \(0\.9\.8\)/);
    });

    it('describes each environment with the current tag, drift, window and reason rule', () => {
      const items = environmentItems(state, 'accounts');
      assert.deepEqual(items.map((i) => [i.label, i.description]), [['dev', 'accounts 1.6.0'], ['stag', 'accounts 1.5.0'], ['prod', 'accounts 1.4.0']]);
      assert.equal(items[0].detail, undefined);
      assert.match(items[1].detail!, /stag|dev has 1\.6\.0/);
      assert.match(items[2].detail!, /\$\(lock\) blocked until 17:00/);
      assert.match(items[2].detail!, /reason required/);
    });

    it('offers services to promote to prod, the ones behind stag first', () => {
      const items = promotionItems(state, 'prod');
      assert.deepEqual(items.map((i) => i.label), ['accounts', 'cards', 'gateway', 'loans']);
      assert.equal(items[0].description, '1.4.0 → 1.5.0');
      const loans = items.find((i) => i.service === 'loans')!;
      assert.equal(loans.description, '3.1.0 (same as stag)');
      assert.equal(items[items.length - 1].service, 'loans');
    });
  });

  describe('tag items', () => {
    const base = () => ({ service: 'accounts', environment: 'prod', current: '1.4.0', upstream: { environment: 'stag', tag: '1.5.0' }, records: state.records, now: NOW });

    it('puts upstream\'s tag first as the default, then recent records, then a busy row while the registry loads', () => {
      const items = tagItems({ ...base(), registry: 'loading' });
      assert.equal(items[0].tag, '1.5.0');
      assert.equal(items[0].picked, true);
      assert.match(items[0].description!, /stag runs it — default/);
      const labels = items.map((i) => (i.kind === -1 ? `— ${i.label}` : i.label));
      assert.deepEqual(labels, ['1.5.0', '— recent deployments', '1.6.0', '1.3.0', '— registry', '$(loading~spin) loading tags from the registry…']);
      assert.match(items[2].description!, /^dev: succeeded by /);
      assert.match(items[3].description!, /^stag: succeeded by dave, 25 d ago$/);
    });

    it('adds the registry tags newest first, each tag once, without the current one', () => {
      const items = tagItems({ ...base(), registry: [{ tag: '1.7.0', pushedAt: new Date('2026-11-26T18:00:00Z') }, { tag: '1.6.0' }, { tag: '1.5.0' }, { tag: '1.4.0' }, { tag: '1.3.1' }] });
      assert.deepEqual(items.filter((i) => i.kind !== -1).map((i) => i.tag), ['1.5.0', '1.6.0', '1.3.0', '1.7.0', '1.3.1']);
      assert.equal(items.find((i) => i.tag === '1.7.0')!.description, 'pushed 2 h ago');
    });

    it('shows a registry failure as an item, not an error', () => {
      const items = tagItems({ ...base(), registry: { error: 'AccessDenied: not authorized to ecr:DescribeImages' } });
      const row = items[items.length - 1];
      assert.equal(row.tag, '');
      assert.match(row.label, /could not list the registry's tags/);
      assert.match(row.detail!, /AccessDenied/);
    });

    it('validates a typed tag against the OCI grammar', () => {
      assert.equal(typedTagItem('  '), undefined);
      assert.deepEqual(typedTagItem('1.7.0-rc.1'), { label: '1.7.0-rc.1', description: 'the tag you typed', tag: '1.7.0-rc.1', alwaysShow: true });
      const bad = typedTagItem('v1/2')!;
      assert.match(bad.problem!, /contains "\/"/);
      assert.match(bad.label, /^\$\(error\) v1\/2$/);
      assert.match(typedTagItem('.hidden')!.problem!, /must start with a letter, digit or underscore/);
      assert.match(typedTagItem('x'.repeat(129))!.problem!, /129 characters/);
    });
  });

  describe('rollback items', () => {
    it('defaults to the last succeeded tag before the current one, then older ones with who and when; never failed ones', () => {
      const accounts = state.environments.find((e) => e.config.name === 'stag')!.services.find((s) => s.service === 'accounts')!;
      const items = rollbackItems(accounts, state.records, NOW);
      assert.deepEqual(items.map((i) => i.tag), ['1.4.0', '1.3.0']);
      assert.equal(items[0].picked, true);
      assert.equal(items[0].description, 'succeeded by bob, 16 d ago — default');
      assert.equal(items[0].detail, 'CHG-1100 statements');
      assert.equal(items[1].description, 'succeeded by dave, 25 d ago');
    });

    it('is empty when there is nothing to go back to', () => {
      const cards = state.environments.find((e) => e.config.name === 'prod')!.services.find((s) => s.service === 'cards')!;
      assert.deepEqual(rollbackItems(cards, state.records, NOW), []);
    });
  });

  describe('command targets', () => {
    it('reads a tree node, a CodeLens target or nothing', () => {
      const env = state.environments[1];
      assert.deepEqual(targetOf({ kind: 'service', service: env.services[0], env }), { service: 'accounts', environment: 'stag' });
      assert.deepEqual(targetOf({ service: 'cards', environment: 'prod' }), { service: 'cards', environment: 'prod' });
      assert.deepEqual(targetOf(undefined), {});
      assert.deepEqual(targetOf({ kind: 'environment' }), {});
    });
  });

  describe('CodeLens lines', () => {
    it('puts "Promote to <next>" and "Rollback" on each service key line of a values file', () => {
      const file = path.join(root, 'helm/environments/stag-env/image-tags.yaml');
      const specs = codeLensSpecs(state, file, fs.readFileSync(file, 'utf8'));
      assert.deepEqual(specs.slice(0, 2).map((s) => [s.line, s.title, s.command, s.target]), [
        [3, '$(arrow-circle-up) Promote to prod', 'gitopsDeploy.promote', { service: 'accounts', environment: 'stag' }],
        [3, '$(discard) Rollback', 'gitopsDeploy.rollback', { service: 'accounts', environment: 'stag' }],
      ]);
      assert.deepEqual([...new Set(specs.map((s) => s.line))], [3, 7, 11, 15]);
    });

    it('has no promotion in the last environment, follows unsaved edits, and ignores other files', () => {
      const prod = path.join(root, 'helm/environments/prod-env/image-tags.yaml');
      const edited = `# moved\n\n${fs.readFileSync(prod, 'utf8')}`;
      const specs = codeLensSpecs(state, prod, edited);
      assert.ok(specs.every((s) => s.command === 'gitopsDeploy.rollback'));
      assert.deepEqual(specs.map((s) => s.line), [5, 9, 13, 17]);
      assert.deepEqual(codeLensSpecs(state, path.join(root, 'README.md'), 'accounts: "1"'), []);
      assert.deepEqual(codeLensSpecs(state, prod, 'accounts: [unclosed'), []);
      assert.deepEqual(codeLensSpecs(undefined, prod, edited), []);
    });

    it('finds the line of a plain `service: "tag"` entry', () => {
      const dev = path.join(root, 'helm/environments/dev-env/image-tags.yaml');
      const specs = codeLensSpecs(state, dev, '# dev\naccounts: "1.6.0"\ncards: "2.1.0"\n');
      assert.deepEqual(specs.filter((s) => s.command === 'gitopsDeploy.promote').map((s) => [s.line, s.title]), [[1, '$(arrow-circle-up) Promote to stag'], [2, '$(arrow-circle-up) Promote to stag']]);
    });
  });

  describe('credential parsers', () => {
    it('reads kube contexts with the current one marked', () => {
      const text = 'apiVersion: v1\ncurrent-context: prod-eks\ncontexts:\n  - name: prod-eks\n    context: { cluster: prod, user: admin, namespace: apps }\n  - name: kind\n    context: { cluster: kind }\n';
      assert.deepEqual(kubeContexts(text, '/k'), [
        { name: 'prod-eks', cluster: 'prod', namespace: 'apps', user: 'admin', current: true, file: '/k' },
        { name: 'kind', cluster: 'kind', namespace: undefined, user: undefined, current: false, file: '/k' },
      ]);
      assert.deepEqual(kubeContexts('', '/k'), []);
      assert.throws(() => kubeContexts('contexts: [', '/home/me/.kube/config'), /\/home\/me\/\.kube\/config is not valid YAML/);
    });

    it('finds the kubeconfig files like kubectl', () => {
      assert.deepEqual(kubeconfigFiles({}, '/home/me', undefined, 'linux'), ['/home/me/.kube/config']);
      assert.deepEqual(kubeconfigFiles({ KUBECONFIG: '/a:/b' }, '/home/me', undefined, 'linux'), ['/a', '/b']);
      assert.deepEqual(kubeconfigFiles({ KUBECONFIG: '/a:/b' }, '/home/me', '/repo/kubeconfig', 'linux'), ['/repo/kubeconfig']);
    });

    it('reads AWS profiles from config and credentials, default first', () => {
      const config = '[default]\nregion = us-east-1\n\n[profile prod]\nsso_session = corp\nregion = eu-west-1\n[sso-session corp]\nsso_region = eu-west-1\n[profile ci]\nrole_arn = arn:aws:iam::1:role/ci\nsource_profile = default\n';
      const creds = '[default]\naws_access_key_id = AKIA\naws_secret_access_key = x\n[legacy]\naws_access_key_id = AKIB\n';
      assert.deepEqual(awsProfiles(config, creds), [
        { name: 'default', sources: ['config', 'credentials'], region: 'us-east-1', kind: 'keys' },
        { name: 'ci', sources: ['config'], region: undefined, kind: 'role' },
        { name: 'legacy', sources: ['credentials'], kind: 'keys' },
        { name: 'prod', sources: ['config'], region: 'eu-west-1', kind: 'sso' },
      ]);
    });

    it('names the credential to fix from the typed fault, never from the wording', () => {
      assert.equal(credentialKind({ fault: { system: 'registry', kind: 'auth' } }), 'aws');
      assert.equal(credentialKind({ cause: { code: 'auth', system: 'argocd', text: 'Unauthorized' } }), 'kube');
      assert.equal(credentialKind({ fault: { system: 'cluster', kind: 'transport' } }), 'kube', 'an unreachable cluster: check the context');
      assert.equal(credentialKind({ fault: { system: 'registry', kind: 'transport' } }), undefined, 'a registry outage is not a credential problem');
      assert.equal(credentialKind({ cause: { code: 'check-failed', text: 'health: DOWN (Unauthorized in the body)' } }), undefined, 'words do not decide');
      assert.equal(credentialKindOfError(new PortError('cluster', 'auth', 'Kubernetes context "prod" is not in the kubeconfig')), 'kube');
      assert.equal(credentialKindOfError(new Error('ExpiredToken: The security token included in the request is expired')), undefined, 'an untyped error names nothing');
    });
  });
});
