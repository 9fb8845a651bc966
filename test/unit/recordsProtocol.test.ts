import { strict as assert } from 'node:assert';
import type { LoadedRecord } from '../../src/pipeline/model/records';
import { makeNonce, recordDetail, recordsShell } from '../../src/providers/recordsHtml';
import { isHttpUrl, parseFilters, parseWebviewMessage } from '../../src/providers/recordsProtocol';

const query = { filters: { environment: 'stag', text: 'chg' }, sort: { key: 'time', dir: 'desc' }, offset: 0, limit: 100 };

describe('records panel message protocol', () => {
  it('accepts every well-formed message from the webview', () => {
    assert.deepEqual(parseWebviewMessage({ type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parseWebviewMessage({ type: 'query', requestId: 3, query }), { type: 'query', requestId: 3, query });
    assert.deepEqual(parseWebviewMessage({ type: 'detail', id: 'docs/deployments/stag/x.md' }), { type: 'detail', id: 'docs/deployments/stag/x.md' });
    assert.deepEqual(parseWebviewMessage({ type: 'openFile', id: 'docs/deployments/stag/x.md' }), { type: 'openFile', id: 'docs/deployments/stag/x.md' });
    assert.deepEqual(parseWebviewMessage({ type: 'openExternal', url: 'https://github.com/acme/gitops/actions/runs/1' }), { type: 'openExternal', url: 'https://github.com/acme/gitops/actions/runs/1' });
    const snapshot = { headers: ['Time'], rows: [['a', 'b']], timeTitles: ['t'], summary: 's', filters: {}, sort: { key: 'tag', dir: 'asc' }, busy: false };
    assert.deepEqual(parseWebviewMessage({ type: 'probeResult', requestId: 1, snapshot }), { type: 'probeResult', requestId: 1, snapshot: { ...snapshot, detail: undefined } });
    assert.deepEqual(parseWebviewMessage({ type: 'insights', requestId: 2, days: 30, environment: 'prod', extra: 1 }), { type: 'insights', requestId: 2, days: 30, environment: 'prod' });
    assert.deepEqual(parseWebviewMessage({ type: 'verifyTrail' }), { type: 'verifyTrail' });
    const insights = { tab: 'Insights', days: 90, cards: ['prod'], charts: [{ title: 'c', marks: 2 }], tables: [{ title: 't', rows: [['a']] }], trail: 'ok' };
    assert.deepEqual(parseWebviewMessage({ type: 'probeResult', requestId: 1, snapshot: { ...snapshot, insights } }), { type: 'probeResult', requestId: 1, snapshot: { ...snapshot, detail: undefined, insights } });
  });

  it('refuses an insights request for a period it does not offer, or a malformed insights snapshot', () => {
    assert.equal(parseWebviewMessage({ type: 'insights', requestId: 2, days: 31 }), undefined);
    assert.equal(parseWebviewMessage({ type: 'insights', requestId: -1, days: 30 }), undefined);
    assert.equal(parseWebviewMessage({ type: 'insights', requestId: 1, days: 30, environment: 5 }), undefined);
    const snapshot = { headers: [], rows: [], timeTitles: [], summary: '', filters: {}, sort: { key: 'tag', dir: 'asc' }, busy: false, insights: { tab: 'x' } };
    assert.equal(parseWebviewMessage({ type: 'probeResult', requestId: 1, snapshot }), undefined);
  });

  it('drops unknown fields and empty filters', () => {
    const m = parseWebviewMessage({ type: 'query', requestId: 1, query: { ...query, filters: { environment: '', status: 'failed', extra: 1 }, evil: true }, more: 2 });
    assert.deepEqual(m, { type: 'query', requestId: 1, query: { filters: { status: 'failed' }, sort: query.sort, offset: 0, limit: 100 } });
  });

  it('rejects malformed messages', () => {
    const bad: unknown[] = [
      undefined,
      null,
      'ready',
      [],
      { type: 'Ready' },
      { type: 'toString' },
      { type: 'query', requestId: -1, query },
      { type: 'query', requestId: 1.5, query },
      { type: 'query', requestId: '1', query },
      { type: 'query', requestId: 1 },
      { type: 'query', requestId: 1, query: { ...query, sort: { key: 'file', dir: 'desc' } } },
      { type: 'query', requestId: 1, query: { ...query, sort: { key: 'time', dir: 'up' } } },
      { type: 'query', requestId: 1, query: { ...query, limit: 0 } },
      { type: 'query', requestId: 1, query: { ...query, limit: 100_000 } },
      { type: 'query', requestId: 1, query: { ...query, offset: -5 } },
      { type: 'query', requestId: 1, query: { ...query, filters: { status: 'exploded' } } },
      { type: 'query', requestId: 1, query: { ...query, filters: { environment: 42 } } },
      { type: 'query', requestId: 1, query: { ...query, filters: { text: 'x'.repeat(10_000) } } },
      { type: 'query', requestId: 1, query: { ...query, filters: null } },
      { type: 'detail' },
      { type: 'detail', id: '' },
      { type: 'detail', id: 7 },
      { type: 'openFile', id: 'a\u0000b' },
      { type: 'openExternal', url: 'javascript:alert(1)' },
      { type: 'openExternal', url: 'command:workbench.action.terminal.new' },
      { type: 'openExternal', url: 'file:///etc/passwd' },
      { type: 'openExternal', url: 'vscode://settings' },
      { type: 'openExternal', url: '//evil.example/x' },
      { type: 'openExternal', url: 'not a url' },
      { type: 'probeResult', requestId: 1, snapshot: { rows: 'x' } },
    ];
    for (const m of bad) assert.equal(parseWebviewMessage(m), undefined, JSON.stringify(m));
  });

  it('validates filters on their own', () => {
    assert.deepEqual(parseFilters({ service: 'accounts', status: 'rollback' }), { service: 'accounts', status: 'rollback' });
    assert.equal(parseFilters('stag'), undefined);
  });

  it('treats only absolute http(s) URLs as links', () => {
    assert.ok(isHttpUrl('http://127.0.0.1:8080/x'));
    assert.ok(isHttpUrl('https://github.com/acme/gitops/commit/abc'));
    for (const u of ['ftp://x', 'javascript:alert(1)', 'data:text/html,<b>', 'https://', '/relative', 'mailto:a@b.c']) assert.equal(isHttpUrl(u), false, u);
  });
});

describe('records webview HTML shell', () => {
  const nonce = makeNonce();
  const html = recordsShell({
    cspSource: 'https://file+.vscode-resource.vscode-cdn.net',
    nonce,
    scriptUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/dist/records.js',
    styleUri: 'https://file+.vscode-resource.vscode-cdn.net/ext/media/records.css',
  });

  it('makes a fresh 128-bit nonce each time', () => {
    assert.match(nonce, /^[A-Za-z0-9+/]{22}==$/);
    assert.notEqual(makeNonce(), nonce);
  });

  it('has a strict CSP holding the nonce', () => {
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html)?.[1];
    assert.ok(csp, 'a CSP meta tag');
    assert.equal(csp, `default-src 'none'; style-src https://file+.vscode-resource.vscode-cdn.net; script-src 'nonce-${nonce}'; img-src https://file+.vscode-resource.vscode-cdn.net`);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  });

  it('has no script without the nonce and no inline script or style', () => {
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.equal(scripts.length, 1);
    for (const [, attrs, body] of scripts) {
      assert.match(attrs, new RegExp(`nonce="${nonce.replace(/[+/]/g, '\\$&')}"`));
      assert.equal(body.trim(), '', 'no inline code');
    }
    assert.doesNotMatch(html, /<style\b|\sstyle=|\son[a-z]+=/i);
  });

  it('loads only media/ URIs', () => {
    const urls = [...html.matchAll(/\s(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    assert.deepEqual(urls.sort(), ['https://file+.vscode-resource.vscode-cdn.net/ext/media/dist/records.js', 'https://file+.vscode-resource.vscode-cdn.net/ext/media/records.css']);
  });

  it('escapes attribute values', () => {
    const h = recordsShell({ cspSource: 'x', nonce: 'n"><script>', scriptUri: 'a"b', styleUri: 'c' });
    assert.doesNotMatch(h, /n"><script>/);
    assert.match(h, /src="a&quot;b"/);
  });
});

describe('record detail payload', () => {
  const base: LoadedRecord = {
    file: '/repo/docs/deployments/stag/20261120T031204Z-accounts.md',
    service: 'accounts',
    environment: 'stag',
    tag: '1.5.0',
    previousTag: '1.4.0',
    status: 'succeeded',
    startedAt: '2026-11-20T03:12:04Z',
    commit: '9f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6',
    windowOverride: { reason: 'SEV1' },
    workflowRun: { id: 123456, attempt: 2, url: 'https://github.com/acme/gitops/actions/runs/123456', workflow: 'Deploy', actor: 'alice' },
    checks: [{ name: 'health', status: 'passed', detail: 'UP' }],
  };

  it('carries every field, a relative file, and GitHub links from the workflow run', () => {
    const d = recordDetail('/repo', base);
    assert.equal(d.id, 'docs/deployments/stag/20261120T031204Z-accounts.md');
    assert.equal(d.file, 'docs/deployments/stag/20261120T031204Z-accounts.md');
    assert.equal(d.windowOverrideReason, 'SEV1');
    assert.deepEqual(d.workflowRun, { id: '123456', attempt: '2', workflow: 'Deploy', actor: 'alice', url: 'https://github.com/acme/gitops/actions/runs/123456' });
    assert.equal(d.commitUrl, 'https://github.com/acme/gitops/commit/9f1e2d3c4b5a69788796a5b4c3d2e1f0a9b8c7d6');
    assert.deepEqual(d.checks, [{ name: 'health', status: 'passed', detail: 'UP' }]);
  });

  it('drops links that are not http(s)', () => {
    const d = recordDetail('/repo', { ...base, workflowRun: { id: 1, url: 'javascript:alert(1)' } });
    assert.equal(d.workflowRun?.url, undefined);
    assert.equal(d.commitUrl, undefined);
    assert.equal(recordDetail('/repo', { ...base, commit: 'not-a-sha' }).commitUrl, undefined);
  });
});
