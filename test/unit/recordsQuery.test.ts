import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { compareNewestFirst, type LoadedRecord } from '../../src/pipeline/model/records';
import { MAX_PAGE, RecordsIndex, recordId, type RecordsQuery } from '../../src/pipeline/model/recordsQuery';

const ROOT = '/repo';

/** A record builder: defaults plus what the test cares about. */
function rec(p: Partial<LoadedRecord> & { startedAt: string }): LoadedRecord {
  const service = p.service ?? 'accounts';
  const environment = p.environment ?? 'stag';
  return {
    service,
    environment,
    tag: '1.0.0',
    status: 'succeeded',
    checks: [],
    file: path.join(ROOT, 'docs/deployments', environment, `${p.startedAt.replace(/[-:]/g, '')}-${service}.md`),
    ...p,
  };
}

function index(records: LoadedRecord[], envs = ['dev', 'stag', 'prod']): RecordsIndex {
  return new RecordsIndex([...records].sort(compareNewestFirst), ROOT, envs);
}

const q = (p: Partial<RecordsQuery> = {}): RecordsQuery => ({ filters: {}, sort: { key: 'time', dir: 'desc' }, offset: 0, limit: 100, ...p });

const RECORDS = [
  rec({ startedAt: '2026-11-20T03:00:00Z', service: 'accounts', environment: 'stag', tag: '1.5.0', previousTag: '1.4.0', actor: 'alice', reason: 'CHG-1234 statement export', commit: '9f1e2d3c4b5a6978' }),
  rec({ startedAt: '2026-11-21T03:00:00Z', service: 'cards', environment: 'stag', tag: '2.2.0', previousTag: '2.1.0', status: 'rolled-back', actor: 'bob', reason: 'new limits' }),
  rec({ startedAt: '2026-11-19T03:00:00Z', service: 'accounts', environment: 'dev', tag: '1.10.0', status: 'failed', actor: 'carol', digest: 'sha256:abcdef' }),
  rec({ startedAt: '2026-11-22T03:00:00Z', service: 'loans', environment: 'prod', tag: '3.1.0', previousTag: '3.2.0', status: 'rollback', actor: 'Dave', reason: '<img src=x onerror=alert(1)>' }),
  rec({ startedAt: '2026-11-18T03:00:00Z', service: 'accounts', environment: 'prod', tag: '1.9.0', actor: 'alice' }),
];

describe('records query (filter, sort, paginate)', () => {
  it('lists every record newest first by default, as compact row tuples', () => {
    const page = index(RECORDS).query(q());
    assert.equal(page.total, 5);
    assert.equal(page.all, 5);
    assert.deepEqual(page.rows.map((r) => r[1]), ['2026-11-22T03:00:00Z', '2026-11-21T03:00:00Z', '2026-11-20T03:00:00Z', '2026-11-19T03:00:00Z', '2026-11-18T03:00:00Z']);
    const stag = page.rows.find((r) => r[3] === 'accounts' && r[2] === 'stag')!;
    assert.deepEqual(stag, ['docs/deployments/stag/20261120T030000Z-accounts.md', '2026-11-20T03:00:00Z', 'stag', 'accounts', '1.4.0', '1.5.0', 'succeeded', 'alice', 'CHG-1234 statement export', '9f1e2d3c']);
  });

  it('filters by environment, service and status, and combines them', () => {
    const ix = index(RECORDS);
    assert.deepEqual(ix.query(q({ filters: { environment: 'stag' } })).rows.map((r) => r[3]), ['cards', 'accounts']);
    assert.deepEqual(ix.query(q({ filters: { service: 'accounts' } })).rows.map((r) => r[2]), ['stag', 'dev', 'prod']);
    assert.deepEqual(ix.query(q({ filters: { environment: 'prod', service: 'accounts' } })).rows.map((r) => r[5]), ['1.9.0']);
    assert.deepEqual(ix.query(q({ filters: { status: 'rolled-back' } })).rows.map((r) => r[3]), ['cards']);
    assert.equal(ix.query(q({ filters: { environment: 'dev', status: 'succeeded' } })).total, 0);
  });

  it('searches text case-insensitively in reason, actor, tags, commit, digest', () => {
    const ix = index(RECORDS);
    const hits = (text: string) => ix.query(q({ filters: { text } })).rows.map((r) => `${r[2]}/${r[3]}`);
    assert.deepEqual(hits('chg-1234'), ['stag/accounts']);
    assert.deepEqual(hits('DAVE'), ['prod/loans']);
    assert.deepEqual(hits('9f1e2d3c4b'), ['stag/accounts']);
    assert.deepEqual(hits('abcdef'), ['dev/accounts']);
    assert.deepEqual(hits('2.1.0'), ['stag/cards']);
    assert.deepEqual(hits('<img'), ['prod/loans']);
    assert.deepEqual(hits('  statement  '), ['stag/accounts'], 'trimmed');
    assert.deepEqual(hits('nothing like this'), []);
  });

  it('sorts by any column both ways; ties stay newest first', () => {
    const ix = index(RECORDS);
    const col = (key: RecordsQuery['sort']['key'], dir: 'asc' | 'desc', i: number) => ix.query(q({ sort: { key, dir } })).rows.map((r) => r[i]);
    assert.deepEqual(col('time', 'asc', 1)[0], '2026-11-18T03:00:00Z');
    assert.deepEqual(col('service', 'asc', 3), ['accounts', 'accounts', 'accounts', 'cards', 'loans']);
    assert.deepEqual(col('service', 'asc', 2).slice(0, 3), ['stag', 'dev', 'prod'], 'ties newest first');
    assert.deepEqual(col('service', 'desc', 3), ['loans', 'cards', 'accounts', 'accounts', 'accounts']);
    assert.deepEqual(col('service', 'desc', 2).slice(2), ['stag', 'dev', 'prod'], 'ties newest first when descending too');
    assert.deepEqual(col('tag', 'asc', 5), ['1.5.0', '1.9.0', '1.10.0', '2.2.0', '3.1.0'], 'numeric-aware tag order');
    assert.deepEqual(col('actor', 'asc', 7), ['alice', 'alice', 'bob', 'carol', 'Dave'], 'case-insensitive');
    assert.deepEqual(col('status', 'asc', 6), ['failed', 'rollback', 'rolled-back', 'succeeded', 'succeeded']);
  });

  it('keeps equal times in file order in both directions', () => {
    const same = [rec({ startedAt: '2026-11-20T03:00:00Z', service: 'a' }), rec({ startedAt: '2026-11-20T03:00:00Z', service: 'b' }), rec({ startedAt: '2026-11-21T03:00:00Z', service: 'c' })];
    const ix = new RecordsIndex(same.sort(compareNewestFirst), ROOT);
    assert.deepEqual(ix.query(q()).rows.map((r) => r[3]), ['c', 'a', 'b']);
    assert.deepEqual(ix.query(q({ sort: { key: 'time', dir: 'asc' } })).rows.map((r) => r[3]), ['a', 'b', 'c']);
  });

  it('pages: offset and limit, aligned offsets, clamped past the end', () => {
    const many = Array.from({ length: 250 }, (_, i) => rec({ startedAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(), service: `svc-${i}` }));
    const ix = index(many);
    const p1 = ix.query(q({ limit: 100 }));
    assert.equal(p1.rows.length, 100);
    assert.equal(p1.rows[0][3], 'svc-249');
    const p3 = ix.query(q({ offset: 200, limit: 100 }));
    assert.equal(p3.offset, 200);
    assert.equal(p3.rows.length, 50);
    assert.equal(p3.rows[49][3], 'svc-0');
    assert.equal(ix.query(q({ offset: 150, limit: 100 })).offset, 100, 'aligned to the page');
    assert.equal(ix.query(q({ offset: 9999, limit: 100 })).offset, 200, 'past the end: the last page');
    assert.equal(ix.query(q({ offset: 100, filters: { text: 'svc-1' } })).offset, 100, '111 matches (svc-1, svc-1x, svc-1xx): second page');
    assert.equal(ix.query(q({ limit: 10_000 })).rows.length, Math.min(MAX_PAGE, 250));
    const empty = ix.query(q({ offset: 500, filters: { text: 'zzz' } }));
    assert.deepEqual([empty.total, empty.offset, empty.rows.length], [0, 0, 0]);
  });

  it('offers facets: environments in promotion order, services of the chosen environment', () => {
    const ix = index(RECORDS, ['dev', 'stag', 'prod']);
    const all = ix.query(q());
    assert.deepEqual(all.facets.environments, ['dev', 'stag', 'prod']);
    assert.deepEqual(all.facets.services, ['accounts', 'cards', 'loans']);
    assert.deepEqual(all.facets.statuses, ['succeeded', 'rolled-back', 'failed', 'rollback', 'inconclusive']);
    assert.deepEqual(ix.query(q({ filters: { environment: 'stag' } })).facets.services, ['accounts', 'cards']);
    assert.deepEqual(index([rec({ startedAt: '2026-01-01T00:00:00Z', environment: 'qa' })], ['dev']).facets().environments, ['dev', 'qa']);
  });

  it('finds a record by id (its path relative to the root, with /)', () => {
    const ix = index(RECORDS);
    const id = recordId(ROOT, RECORDS[1].file);
    assert.equal(id, 'docs/deployments/stag/20261121T030000Z-cards.md');
    assert.equal(ix.get(id)?.service, 'cards');
    assert.equal(ix.get('../etc/passwd'), undefined);
  });

  it('queries 10,000 records in a few milliseconds once indexed', () => {
    const many = Array.from({ length: 10_000 }, (_, i) =>
      rec({ startedAt: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(), service: `svc-${i % 97}`, environment: ['dev', 'stag', 'prod'][i % 3], actor: `user${i % 13}`, reason: `change ${i}` }),
    );
    const t0 = performance.now();
    const ix = index(many);
    ix.query(q());
    const cold = performance.now() - t0;
    const t1 = performance.now();
    ix.query(q({ filters: { environment: 'stag', text: 'change 9' }, sort: { key: 'service', dir: 'asc' } }));
    ix.query(q({ filters: { environment: 'stag', text: 'change 9' }, sort: { key: 'service', dir: 'asc' }, offset: 100 }));
    const warm = performance.now() - t1;
    assert.ok(cold < 500, `index + first page: ${cold.toFixed(1)} ms`);
    assert.ok(warm < 500, `two filtered, sorted pages: ${warm.toFixed(1)} ms`);
  });
});
