// Pure logic of following and scheduling: version ranges, candidate order, the config's follow:
// entries (errors name the entry and line), plan hashes.
import * as assert from 'node:assert/strict';
import { parseConfig } from '../../src/pipeline/config/load';
import { FileProblem } from '../../src/pipeline/errors';
import { parseRange } from '../../src/pipeline/model/semver';
import { isAhead, matchingTags, parseDuration } from '../../src/pipeline/model/subscriptions';
import { estimateRunSeconds, finishByCheck } from '../../src/pipeline/model/duration';
import { planHash } from '../../src/pipeline/schedule/schedule';

const at = (min: number) => new Date(Date.UTC(2026, 10, 18, 12, min));

describe('follow: version ranges', () => {
  const cases: [string, string[], string[]][] = [
    ['>=1.4.0 <2', ['1.4.0', '1.9.9', 'v1.5.0'], ['1.3.9', '2.0.0', '1.5.0-rc.1', 'main-abc1234']],
    ['^1.4.0', ['1.4.0', '1.99.0'], ['2.0.0', '1.3.0']],
    ['^0.4.2', ['0.4.2', '0.4.9'], ['0.5.0']],
    ['~1.4', ['1.4.0', '1.4.7'], ['1.5.0']],
    ['1.x', ['1.0.0', '1.8.3'], ['2.0.0', '0.9.0']],
    ['>=1.5.0-rc.1 <1.6.0', ['1.5.0-rc.1', '1.5.0-rc.2', '1.5.0'], ['1.5.1-rc.1']],
  ];
  for (const [range, yes, no] of cases) {
    it(`${range}: matches ${yes.join(', ')}; not ${no.join(', ')}`, () => {
      const r = parseRange(range);
      for (const t of yes) assert.equal(r.test(t), true, t);
      for (const t of no) assert.equal(r.test(t), false, t);
    });
  }
  it('rejects what is not a range', () => {
    assert.throws(() => parseRange(''), /empty/);
    assert.throws(() => parseRange('>=one'), /not a version comparator/);
  });
});

describe('follow: candidates', () => {
  const tags = [
    { tag: 'main-aaaaaaa', pushedAt: at(1) },
    { tag: '1.5.0', pushedAt: at(2) },
    { tag: 'main-bbbbbbb', pushedAt: at(3) },
    { tag: 'feature-x', pushedAt: at(4) },
    { tag: '1.10.0', pushedAt: at(0) },
  ];
  it('tags: matching, newest pushed first', () => {
    assert.deepEqual(matchingTags({ kind: 'tags', pattern: '^main-[0-9a-f]{7,40}$' }, tags).map((t) => t.tag), ['main-bbbbbbb', 'main-aaaaaaa']);
  });
  it('semver: highest version first, whatever the push order', () => {
    assert.deepEqual(matchingTags({ kind: 'semver', range: '>=1.0.0' }, tags).map((t) => t.tag), ['1.10.0', '1.5.0']);
  });
  it('newest: every tag by push time', () => {
    assert.equal(matchingTags({ kind: 'newest' }, tags)[0].tag, 'feature-x');
  });
  it('a step forward: newer push, or a higher version for semver; never the running tag', () => {
    const m = { kind: 'tags' as const, pattern: '.' };
    assert.equal(isAhead(m, tags[2], tags[0]), true);
    assert.equal(isAhead(m, tags[0], tags[2]), false);
    assert.equal(isAhead(m, tags[0], tags[0]), false);
    assert.equal(isAhead({ kind: 'semver', range: '>=1.0.0' }, tags[4], tags[1]), true, '1.10.0 is ahead of 1.5.0 though pushed earlier');
  });
  it('durations', () => {
    assert.equal(parseDuration('10m'), 600_000);
    assert.equal(parseDuration('2h'), 7_200_000);
    assert.throws(() => parseDuration('10 minutes'));
  });
});

describe('follow: configuration', () => {
  const parse = (text: string) => parseConfig('/repo', text, '/repo/.gitops-deploy.yaml', {});
  it('resolves a subscription with defaults', () => {
    const c = parse('follow:\n  - environment: dev\n    tags: "^main-[0-9a-f]{7,40}$"\n    minAge: 5m\n    signedBy: [keys/ci.pub]\n');
    assert.deepEqual(c.follow, [{ environment: 'dev', services: undefined, match: { kind: 'tags', pattern: '^main-[0-9a-f]{7,40}$' }, minAgeMs: 300_000, signedBy: ['/repo/keys/ci.pub'], intervalSeconds: 60 }]);
    assert.deepEqual(parse('tagPath: auto\n').follow, []);
  });
  const bad: [string, RegExp, number][] = [
    ['follow:\n  - environment: qa\n    newest: true\n', /follow\[0\]\.environment names the environment "qa", which is not configured/, 2],
    ['follow:\n  - environment: dev\n', /needs one way to pick images/, 2],
    ['follow:\n  - environment: dev\n    newest: true\n    tags: "^main-"\n', /sets tags and newest: choose one/, 2],
    ['follow:\n  - environment: dev\n    tags: "main-("\n', /follow\[0\]\.tags is not a valid regular expression/, 3],
    ['follow:\n  - environment: dev\n    semver: ">=x.y"\n', /follow\[0\]\.semver is not a version range/, 3],
    ['follow:\n  - environment: dev\n    newest: true\n    minAge: soon\n', /follow\[0\]\.minAge is not valid/, 4],
  ];
  for (const [text, message, line] of bad) {
    it(`refuses ${JSON.stringify(text.split('\n').slice(1).join(' ').trim())} at line ${line}`, () => {
      assert.throws(() => parse(text), (err: unknown) => err instanceof FileProblem && message.test(err.message) && err.line === line);
    });
  }
});

describe('scheduled promotions: plan hash', () => {
  it('changes with the running tag or the digest, nothing else', () => {
    const p = { service: 'accounts', environment: 'prod', previousTag: '1.4.0', tag: '1.5.0', digest: 'sha256:' + 'a'.repeat(64) };
    assert.equal(planHash(p), planHash({ ...p }));
    assert.notEqual(planHash(p), planHash({ ...p, previousTag: '1.4.1' }));
    assert.notEqual(planHash(p), planHash({ ...p, digest: 'sha256:' + 'b'.repeat(64) }));
  });
});

describe('run-duration estimate and window.finishBy', () => {
  const rec = (startedAt: string, seconds: number, service = 'accounts', environment = 'prod') => ({ service, environment, tag: '1', status: 'succeeded' as const, startedAt, finishedAt: new Date(Date.parse(startedAt) + seconds * 1000).toISOString(), checks: [] });
  const prod = parseConfig('/repo', undefined, '/repo/.gitops-deploy.yaml', {}).environments.find((e) => e.name === 'prod')!;

  it('p90 (nearest rank) of the last runs of this service here; a default without any', () => {
    const records = [60, 70, 80, 90, 100, 110, 120, 130, 140, 900].map((s, i) => rec(`2026-11-${String(10 + i).padStart(2, '0')}T10:00:00Z`, s));
    records.push(rec('2026-11-20T10:00:00Z', 5000, 'cards'), rec('2026-11-20T10:00:00Z', 5000, 'accounts', 'stag'));
    assert.deepEqual(estimateRunSeconds(records, 'accounts', 'prod'), { seconds: 140, basis: 'records', runs: 10, percentile: 90 });
    assert.deepEqual(estimateRunSeconds([], 'accounts', 'prod'), { seconds: 600, basis: 'default', runs: 0, percentile: 90 });
  });

  it('prod has finishBy on by default; a run that would end after 09:00 ET is refused, overriding makes it a warning', () => {
    assert.deepEqual(prod.finishBy, { marginMinutes: 0 });
    const est = { seconds: 600, basis: 'default' as const, runs: 0, percentile: 90 as const };
    const at = (iso: string) => finishByCheck(prod, new Date(iso), est, false);
    // Wednesday 08:45 EST = 13:45Z: the window closes at 14:00Z, a 10-min run ends 13:55Z.
    assert.equal(at('2026-11-18T13:45:00Z').check.status, 'passed');
    const late = at('2026-11-18T13:55:00Z');
    assert.equal(late.check.status, 'failed');
    assert.equal(late.estimate.finishesAt, '2026-11-18T14:05:00.000Z');
    assert.equal(late.estimate.windowClosesAt, '2026-11-18T14:00:00.000Z');
    assert.equal(finishByCheck(prod, new Date('2026-11-18T13:55:00Z'), est, true).check.status, 'warning');
    assert.equal(at('2026-11-18T15:00:00Z').check.status, 'skipped', 'closed now: the window check says so');
  });

  it('window.finishBy: false warns only; a margin is added', () => {
    const cfg = (fb: string) => parseConfig('/repo', `environments:\n  - name: prod\n    window:\n      blocked: [{ days: [wed], from: "09:00", to: "17:00" }]\n      finishBy: ${fb}\n`, '/repo/.gitops-deploy.yaml', {}).environments[0];
    const est = { seconds: 60, basis: 'records' as const, runs: 3, percentile: 90 as const };
    assert.equal(finishByCheck(cfg('false'), new Date('2026-11-18T13:59:30Z'), est, false).check.status, 'warning');
    assert.equal(finishByCheck(cfg('{ marginMinutes: 15 }'), new Date('2026-11-18T13:50:00Z'), est, false).check.status, 'failed');
    assert.equal(finishByCheck(cfg('{ marginMinutes: 15 }'), new Date('2026-11-18T13:50:00Z'), est, false).estimate.marginMinutes, 15);
  });
});
