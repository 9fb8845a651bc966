import { strict as assert } from 'node:assert';
import { rng } from '../support/rng';
import { parse } from 'yaml';
import { fastFrontMatter } from '../../src/pipeline/model/fastFrontMatter';
import { serializeRecord, type DeploymentRecord } from '../../src/pipeline/model/records';


const STRINGS = ['plain text', 'CHG-1234: fix', '<script>alert(1)</script>', '<img src=x onerror=alert(1)>', 'a # hash', '#start', "it's", 'say "hi"', 'back\\slash', 'tab\there', 'line\nbreak', 'ünïcødé ✓', '123', '1.10', 'true', 'null', '', ' leading', 'trailing ', '- dash', '[x]', '{y}', '&anchor', '*alias', '!tag', '@at', '`tick`', '%pct', 'key: value', 'x'.repeat(300), '0x1F', '.inf', 'yes', '~'];

function record(r: () => number): DeploymentRecord {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const maybe = <T>(v: T) => (r() < 0.5 ? v : undefined);
  return {
    service: pick(['accounts', 'cards', pick(STRINGS)]) || 'x',
    environment: pick(['dev', 'stag', 'prod']),
    tag: pick(['1.4.0', '123', '1.10', 'v2', 'main-abc']),
    previousTag: maybe(pick(['1.3.0', '007'])),
    digest: maybe('sha256:' + 'ab'.repeat(32)),
    status: pick(['succeeded', 'rolled-back', 'failed', 'rollback'] as const),
    startedAt: '2026-11-20T03:12:04Z',
    finishedAt: maybe('2026-11-20T03:13:04.123Z'),
    actor: maybe(pick(STRINGS)),
    reason: maybe(pick(STRINGS)),
    commit: maybe('9f1e2d3c'.repeat(5)),
    windowOverride: maybe({ reason: pick(STRINGS) }),
    workflowRun: maybe({ id: 123456, attempt: 2, url: 'https://github.com/acme/gitops/actions/runs/123456', workflow: 'Deploy Service to Environment', actor: pick(STRINGS) }),
    checks: Array.from({ length: Math.floor(r() * 5) }, () => ({
      name: pick(['image-exists', 'signature', 'health']),
      status: pick(['passed', 'failed', 'warning', 'skipped'] as const),
      detail: maybe(pick(STRINGS)),
      // the signature evidence a real record keeps: nested maps, integers, strings that look like numbers
      signature: maybe({
        form: 'bundle' as const, via: 'referrers-api' as const, signer: 'keyless' as const, digest: 'sha256:' + 'ab'.repeat(32), artifactDigest: 'sha256:' + 'cd'.repeat(32),
        identity: { subject: pick(['https://github.com/acme/x/.github/workflows/release.yml@refs/heads/main', ...STRINGS]), issuer: maybe('https://token.actions.githubusercontent.com'), githubWorkflowSha: maybe(pick(['9f1e2d3c'.repeat(5), '1234567', '0123'])) },
        rekorLogIndex: pick([0, 7, 123456789, 10 ** 15, -3]),
        integratedTime: maybe('2026-11-20T03:12:04.000Z'),
      }),
    })),
  };
}

describe('fast front-matter reader', () => {
  it('agrees with the YAML parser on 3,000 serialized records and handles most of them', () => {
    let fast = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const text = serializeRecord(record(rng(seed)), 'body');
      const front = text.slice(4, text.indexOf('\n---\n'));
      const got = fastFrontMatter(front);
      if (got === undefined) continue;
      fast++;
      assert.deepEqual(got, parse(front), `seed ${seed}\n${front}`);
    }
    assert.ok(fast > 1000, `fast path used ${fast} times of 3000`);
  });

  it('falls back on anything unusual', () => {
    for (const t of ['a: &x 1', 'a: *x', 'a: |\n  block', 'a: [1, 2]', 'a:\n  - 1', 'a: "multi\n  line"', 'a: x\na: y', ' a: 1', 'a: "\\x41"', 'a: 1.5', 'a: 007', 'a:\n- b: 1', 'a:\n  b: 1\n c: 2', 'a: x\n  b: y', 'a:\n  - b: 1\n    - c: 2']) {
      assert.equal(fastFrontMatter(t), undefined, t);
    }
  });
});
