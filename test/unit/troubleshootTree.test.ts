// The Environments tree marks a service whose last deployment failed or was rolled back, until the
// next successful one: a description marker, the cause in the tooltip, and the contextValue tokens
// the troubleshooting menus match. The tree runs against test/support/fakeVscode.ts.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseConfig } from '../../src/pipeline/config/load';
import { serializeRecord, type DeploymentRecord } from '../../src/pipeline/model/records';
import { buildRepoState, contextValue, serviceTokens, type RepoState } from '../../src/pipeline/model/repoState';
import { createFakeVscode, installFakeVscode } from '../support/fakeVscode';

const NOW = new Date('2026-11-28T12:00:00Z');
const MANIFEST = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8'));

function record(over: Partial<DeploymentRecord>): DeploymentRecord {
  return {
    service: 'accounts', environment: 'stag', tag: '1.6.1', previousTag: '1.5.0', status: 'succeeded', startedAt: '2026-11-28T10:00:00Z', finishedAt: '2026-11-28T10:02:00Z', actor: 'alice',
    commit: '9f1e2d3c4b5a69788796a5b4c3d2e1f001122334', checks: [{ name: 'image-exists', status: 'passed' }],
    ...over,
  };
}

/** The regex of a view/item/context entry's `viewItem =~ /…/`. */
function menuRegex(command: string): RegExp[] {
  const entries = (MANIFEST.contributes.menus['view/item/context'] as { command: string; when: string }[]).filter((m) => m.command === command);
  assert.ok(entries.length, `${command} is in the tree's context menu`);
  return entries.map((e) => new RegExp(/viewItem =~ \/(.*)\/$/.exec(e.when)![1]));
}

describe('tree: a failed or rolled-back deployment until the next successful one', () => {
  let dir: string;
  let state: RepoState;
  let tree: any;

  before(async () => {
    const fake = createFakeVscode();
    installFakeVscode(fake.api);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tree-troubleshoot-'));
    const write = (rel: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), text);
    };
    write('helm/environments/dev-env/image-tags.yaml', 'accounts: "1.6.1"\ncards: "2.2.0"\nloans: "3.1.0"\ngateway: "0.9.8"\n');
    write('helm/environments/stag-env/image-tags.yaml', 'accounts: "1.5.0"\ncards: "2.1.0"\nloans: "3.1.0"\ngateway: "0.9.8"\n');
    write('helm/environments/prod-env/image-tags.yaml', 'accounts: "1.5.0"\ncards: "2.1.0"\nloans: "3.1.0"\ngateway: "0.9.8"\n');
    const rec = (file: string, r: DeploymentRecord) => write(`docs/deployments/${r.environment}/${file}.md`, serializeRecord(r, `# ${r.service}\n`));
    // accounts: rolled back (crash loop)
    rec('20261128T100000Z-accounts', record({ status: 'rolled-back', rollbackCommit: 'a'.repeat(40), checks: [{ name: 'rollout', status: 'failed', detail: 'pod accounts-7d9f-abcde is in CrashLoopBackOff (5 restarts)', evidence: [{ kind: 'log', title: 'Log of accounts-7d9f-abcde (previous container)', summary: 'log of accounts-7d9f-abcde (previous): "Application run failed"', lines: [] }] }, { name: 'rollback', status: 'passed', detail: '1.5.0 restored' }] }));
    // cards: failed and its automatic rollback failed too
    rec('20261128T100000Z-cards', record({ service: 'cards', tag: '2.2.0', previousTag: '2.1.0', status: 'failed', checks: [{ name: 'health', status: 'failed', detail: '/actuator/health answered DOWN (db)' }, { name: 'rollback', status: 'failed', detail: 'the automatic rollback to 2.1.0 failed at rollback-push: rejected (nothing of it reached origin)' }] }));
    // loans: failed, then deployed successfully: nothing to show
    rec('20261127T100000Z-loans', record({ service: 'loans', tag: '3.1.0', previousTag: '3.0.0', status: 'failed', startedAt: '2026-11-27T10:00:00Z', checks: [{ name: 'health', status: 'failed', detail: 'DOWN' }] }));
    rec('20261128T100000Z-loans', record({ service: 'loans', tag: '3.1.0', previousTag: '3.0.0', status: 'succeeded' }));
    state = await buildRepoState(parseConfig(dir, undefined), NOW);
    const { EnvironmentsTree } = require('../../src/providers/environmentsTree');
    const model = { onDidChange: () => ({ dispose() {} }), get: async () => state };
    tree = new EnvironmentsTree(model, () => NOW);
  });

  after(() => {
    tree?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const node = (service: string, env = 'stag') => {
    const e = state.environments.find((x) => x.config.name === env)!;
    return { kind: 'service', service: e.services.find((s) => s.service === service)!, env: e, state };
  };
  const unescape = (md: string) => md.replace(/\\(.)/g, '$1');

  it('environment rows: the window\'s next change where there is a window (from closesAt), else the services', () => {
    const env = (name: string) => tree.getTreeItem({ kind: 'environment', env: state.environments.find((x) => x.config.name === name)!, state });
    const prod = state.environments.find((x) => x.config.name === 'prod')!;
    assert.equal(prod.window.closesAt?.toISOString(), '2026-11-30T14:00:00.000Z'); // Saturday now; Monday 09:00 EST
    assert.equal(env('prod').description, 'open · closes Mon 09:00 ET');
    assert.match(env('prod').tooltip.value, /Deployment window: open until Mon 09:00 EST \(America\/New_York\)/);
    assert.equal(env('stag').description, '4 services · 2 behind dev');
    assert.equal(env('dev').description, '4 services');
  });

  it('tokens: rolledBack, failed and rollbackFailed', () => {
    assert.equal(contextValue(serviceTokens(node('accounts').service)), 'service promotable drifted rolledBack');
    assert.equal(contextValue(serviceTokens(node('cards').service)), 'service promotable drifted failed rollbackFailed');
    assert.equal(contextValue(serviceTokens(node('loans').service)), 'service promotable');
  });

  it('a rolled-back service: marker, the cause without the evidence tail, when and who, and where to look', () => {
    const item = tree.getTreeItem(node('accounts'));
    assert.equal(item.description, '1.5.0 · ↩ rolled back', 'the failure first; the drift is in the tooltip');
    const tip = unescape(item.tooltip.value);
    assert.match(tip, /dev has `1.6.1`: not promoted yet/);
    assert.match(tip, /\$\(history\) \*\*1.6.1 failed and was rolled back\*\* — 2026-11-28T10:00:00Z by alice \(2 h ago\)/);
    assert.match(tip, /Cause: rollout: pod accounts-7d9f-abcde is in CrashLoopBackOff \(5 restarts\)\n/);
    assert.doesNotMatch(tip, /Evidence:/);
    assert.match(tip, /Right-click for logs, events, Argo CD, retry sync\./);
    assert.doesNotMatch(tip, /Fix Failed Rollback/);
    for (const cmd of ['gitopsDeploy.showLogs', 'gitopsDeploy.showEvents', 'gitopsDeploy.openInArgoCd', 'gitopsDeploy.retrySync']) {
      assert.ok(menuRegex(cmd).every((re) => re.test(item.contextValue)), `${cmd} on ${item.contextValue}`);
    }
    assert.ok(!menuRegex('gitopsDeploy.fixFailedRollback').some((re) => re.test(item.contextValue)), 'no fix for a rolled-back service');
  });

  it('a failed automatic rollback: its own marker, the fix named, and Fix Failed Rollback in the menu', () => {
    const item = tree.getTreeItem(node('cards'));
    assert.equal(item.description, '2.1.0 · ✗ rollback failed');
    const tip = unescape(item.tooltip.value);
    assert.match(tip, /\*\*2.2.0 failed and its automatic rollback failed too\*\*/);
    assert.match(tip, /Cause: health: \/actuator\/health answered DOWN \(db\)\n/);
    assert.match(tip, /Right-click → Fix Failed Rollback restores 2.1.0\./);
    assert.ok(menuRegex('gitopsDeploy.fixFailedRollback').every((re) => re.test(item.contextValue)));
    assert.equal(item.iconPath.id, 'error');
  });

  it('after the next successful deployment: no marker, no cause, no fix', () => {
    const item = tree.getTreeItem(node('loans'));
    assert.equal(item.description, '3.1.0');
    assert.doesNotMatch(item.tooltip.value, /Cause:|Right-click/);
    assert.equal(item.iconPath.id, 'package');
  });
});
