// Pure logic of following and scheduling: version ranges, candidate order, the config's follow:
// entries (errors name the entry and line), plan hashes.
import * as assert from 'node:assert/strict';
import { parseConfig } from '../../src/pipeline/config/load';
import { FileProblem } from '../../src/pipeline/errors';
import { parseRange } from '../../src/pipeline/follow/semver';
import { isAhead, matchingTags, parseDuration } from '../../src/pipeline/follow/subscriptions';
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
