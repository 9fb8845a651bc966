import { strict as assert } from 'node:assert';
import { banner } from '../../sandbox/banner';

describe('sandbox banner', () => {
  it('separates every label from its value, however long the label', () => {
    const text = banner('/tmp/sb', '/tmp/sb/repo', '/tmp/sb/origin.git', { kubernetes: 'http://127.0.0.1:1', fakePrometheus: 'http://127.0.0.1:2', aVeryLongEndpointName: 'http://127.0.0.1:3' });
    const rows = text.split('\n').slice(1).map((l) => /^ {2}(\S+) {2,}(\S.*)$/.exec(l));
    assert.ok(rows.every(Boolean), text);
    assert.deepEqual(rows.map((m) => m![1]), ['repo', 'kubernetes', 'fakePrometheus', 'aVeryLongEndpointName', 'env']);
    assert.deepEqual(rows.slice(1, 4).map((m) => new URL(m![2]).port), ['1', '2', '3']);
  });
});
