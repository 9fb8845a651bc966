import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { buildEvidencePack, evidenceHtml } from '../../src/pipeline/evidencePack';
import type { LoadedRecord } from '../../src/pipeline/model/records';

const root = '/repo';
const rec = (p: Partial<LoadedRecord> & { startedAt: string; file: string }): LoadedRecord => ({ service: 'accounts', environment: 'prod', tag: '1.5.0', previousTag: '1.4.0', status: 'succeeded', actor: 'alice', checks: [], ...p });
const trail = { environment: 'prod', records: 3, chained: 2, problems: [] };
const o = { root, environment: 'prod', since: new Date('2026-11-01T00:00:00Z'), until: new Date('2026-12-01T00:00:00Z'), now: new Date('2026-12-01T00:00:00Z'), trail };

describe('evidence pack: environment approvals of the GitHub runs', () => {
  const records = [
    rec({ file: path.join(root, 'docs/deployments/prod/a.md'), startedAt: '2026-11-02T10:00:00Z', workflowRun: { id: 101, url: 'https://github.com/acme/gitops/actions/runs/101' } }),
    rec({ file: path.join(root, 'docs/deployments/prod/b.md'), startedAt: '2026-11-03T10:00:00Z', workflowRun: { id: 102 } }),
    rec({ file: path.join(root, 'docs/deployments/prod/c.md'), startedAt: '2026-11-04T10:00:00Z' }),
  ];
  const approvals = new Map([
    ['101', [
      { state: 'approved', user: 'bob', comment: 'CAB <ok>', environments: ['prod'], at: '2026-11-02T09:58:00Z' },
      { state: 'approved', user: 'carol', environments: ['stag'] }, // another environment of the run: not this change's
    ]],
    ['102', { unavailable: 'GitHub answered 403' }],
  ]);

  it('each change carries who approved its run for this environment, or why that could not be read', () => {
    const pack = buildEvidencePack(records, { ...o, approvals });
    assert.deepEqual(pack.changes.map((c) => [c.record, c.approvals, c.approvalsUnavailable]), [
      ['docs/deployments/prod/a.md', [{ by: 'bob', state: 'approved', at: '2026-11-02T09:58:00Z', comment: 'CAB <ok>' }], undefined],
      ['docs/deployments/prod/b.md', undefined, 'GitHub answered 403'],
      ['docs/deployments/prod/c.md', undefined, undefined],
    ]);
    const html = evidenceHtml(pack);
    assert.ok(html.includes('<strong>approved</strong> by bob at 2026-11-02T09:58:00Z (“CAB &lt;ok&gt;”)'));
    assert.ok(html.includes('approvals not read: GitHub answered 403'));
    assert.ok(!html.includes('carol'));
  });

  it('without GitHub the changes have no approvals field', () => {
    const pack = buildEvidencePack(records, o);
    assert.deepEqual(pack.changes.map((c) => ['approvals' in c, 'approvalsUnavailable' in c]), [[false, false], [false, false], [false, false]]);
  });
});
