// The repository is data: policy may come from it; kubeconfigs and token-receiving hosts do not.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli';
import { parseConfig } from '../../src/pipeline/config/load';
import { parseUserSettings } from '../../src/pipeline/config/userSettings';
import { escapeControl, REASON_MAX } from '../../src/pipeline/terminal';

const ROOT = '/repo';

describe('trust boundary of the configuration', () => {
  it('kubernetes.kubeconfig in the repository is ignored (listed with why); the user settings choose the kubeconfig', () => {
    const c = parseConfig(ROOT, 'kubernetes:\n  kubeconfig: ops/kubeconfig\n  context: prod\n', undefined, {});
    assert.equal(c.kubernetes.kubeconfig, undefined);
    assert.equal(c.kubernetes.context, 'prod', 'the context name is policy');
    assert.deepEqual(c.ignored?.map((i) => i.key), ['kubernetes.kubeconfig']);
    const user = parseUserSettings('kubernetes:\n  kubeconfig: /home/me/.kube/work\n', '/home/me/.config/gitops-deploy/config.yaml', { HOME: '/home/me' });
    assert.equal(parseConfig(ROOT, 'kubernetes:\n  kubeconfig: ops/kubeconfig\n', undefined, {}, user).kubernetes.kubeconfig, '/home/me/.kube/work');
  });

  it('a repository-named github.apiUrl is untrusted unless GitHub itself, the user named it, or the host is trusted', () => {
    const repo = 'github:\n  apiUrl: http://evil.example:8080/api\n  owner: acme\n  repo: gitops\n';
    assert.equal(parseConfig(ROOT, repo, undefined, {}).github.untrustedHost, 'evil.example:8080');
    assert.equal(parseConfig(ROOT, 'github:\n  apiUrl: https://api.github.com\n', undefined, {}).github.untrustedHost, undefined);
    assert.equal(parseConfig(ROOT, repo, undefined, { GITOPS_DEPLOY_TRUSTED_HOSTS: 'evil.example:8080' }, parseUserSettings(undefined, undefined, { GITOPS_DEPLOY_TRUSTED_HOSTS: 'evil.example:8080' })).github.untrustedHost, undefined);
    assert.equal(parseConfig(ROOT, repo, undefined, {}, parseUserSettings('trustedHosts: [evil.example]\n', 'u.yaml', {})).github.untrustedHost, undefined);
    const mine = parseConfig(ROOT, repo, undefined, { GITHUB_API_URL: 'https://ghe.corp/api/v3' });
    assert.equal(mine.github.apiUrl, 'https://ghe.corp/api/v3');
    assert.equal(mine.github.untrustedHost, undefined);
  });

  it('registry.type oci: a repository-named registry.url is untrusted (no credentials) unless the user named it (GITOPS_DEPLOY_REGISTRY_URL) or trusted the host', () => {
    const repo = 'registry:\n  type: oci\n  url: https://registry.evil.example:5000/\n';
    const c = parseConfig(ROOT, repo, undefined, {});
    assert.deepEqual([c.registry.type, c.registry.url, c.registry.untrustedHost], ['oci', 'https://registry.evil.example:5000', 'registry.evil.example:5000']);
    const trusted = parseUserSettings(undefined, undefined, { GITOPS_DEPLOY_TRUSTED_HOSTS: 'registry.evil.example' });
    assert.equal(parseConfig(ROOT, repo, undefined, {}, trusted).registry.untrustedHost, undefined);
    const mine = parseConfig(ROOT, repo, undefined, { GITOPS_DEPLOY_REGISTRY_URL: 'https://ghcr.io' });
    assert.deepEqual([mine.registry.url, mine.registry.untrustedHost], ['https://ghcr.io', undefined]);
    // ECR (the default) ignores the variable; oci without any URL is a clear error.
    assert.equal(parseConfig(ROOT, '', undefined, { GITOPS_DEPLOY_REGISTRY_URL: 'https://ghcr.io' }).registry.type, 'ecr');
    assert.equal(parseConfig(ROOT, '', undefined, { GITOPS_DEPLOY_REGISTRY_URL: 'https://ghcr.io' }).registry.url, undefined);
    assert.throws(() => parseConfig(ROOT, 'registry:\n  type: oci\n', undefined, {}), (e: Error & { line?: number }) => /registry\.url is required when registry\.type is oci/.test(e.message) && e.line === 2);
    assert.throws(() => parseConfig(ROOT, 'registry:\n  type: gcr\n', undefined, {}), /registry\.type must be one of "ecr", "oci"/);
  });

  it('escapes control characters (ESC, CR, C1, bidi overrides) but keeps newlines and tabs', () => {
    assert.equal(escapeControl('a\x1b[2Jb\rc\u009bd\u202ee\n\tf'), 'a\\x1b[2Jb\\x0dc\\x9bd\\u202ee\n\tf');
  });

  it('the CLI prints a record reason with an escape sequence as text, and refuses a reason over the limit (64)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trust-cli-'));
    try {
      fs.mkdirSync(path.join(dir, 'helm/environments/stag-env'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'helm/environments/stag-env/image-tags.yaml'), 'accounts:\n  image:\n    tag: "1.0.0"\n');
      fs.mkdirSync(path.join(dir, 'docs/deployments/stag'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'docs/deployments/stag/20261119T100000Z-accounts.md'), '---\nservice: accounts\nenvironment: stag\ntag: "1.0.0"\nstatus: succeeded\nstartedAt: 2026-11-19T10:00:00Z\nreason: "CHG-1 \\e]0;pwned\\a \\e[2J"\nchecks: []\n---\n');
      const out: string[] = [];
      const err: string[] = [];
      const code = await main(['records', '--repo', dir], { out: (s) => out.push(s), err: (s) => err.push(s) });
      assert.equal(code, 0, err.join('\n'));
      const text = out.join('\n');
      // eslint-disable-next-line no-control-regex
      assert.ok(!/[\x00-\x08\x0b-\x1f\x7f]/.test(text), JSON.stringify(text));
      assert.ok(text.includes('\\x1b]0;pwned\\x07 \\x1b[2J'), text);
      const long = await main(['deploy', 'accounts', '--env', 'stag', '--tag', '1.1.0', '--reason', 'x'.repeat(REASON_MAX + 1), '--repo', dir], { out: (s) => out.push(s), err: (s) => err.push(s) });
      assert.equal(long, 64);
      assert.ok(err.some((l) => l.includes(`the limit is ${REASON_MAX}`)));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
