// The editor's per-host trust decision (pure): a repository-named GitHub host receives the token only
// after the person trusted that host; answers are remembered per host; the kubeconfig is the user's.
import { strict as assert } from 'node:assert';
import { parseConfig } from '../../src/pipeline/config/load';
import { githubTrustStep, readAnswers, rememberAnswer, trustGitHubHost, trustQuestion } from '../../src/providers/hostTrust';
import { userScopeKubeconfig, withUserKubeconfig } from '../../src/providers/userKubeconfig';

const REPO = 'github:\n  apiUrl: http://ghe.evil.example:8443/api\n  owner: acme\n  repo: gitops\n';

describe('trusting a repository-named host in the editor', () => {
  const config = parseConfig('/repo', REPO, undefined, {});

  it('asks for an untrusted host when a token would be sent; nothing to ask when none would be', () => {
    assert.deepEqual(githubTrustStep(config.github, true, {}), { kind: 'ask', request: { credential: 'GitHub token', host: 'ghe.evil.example:8443', url: 'http://ghe.evil.example:8443/api', key: 'github.apiUrl' } });
    assert.deepEqual(githubTrustStep(config.github, false, {}), { kind: 'none' }, 'no token: nothing would be sent');
    assert.deepEqual(githubTrustStep(parseConfig('/repo', 'github:\n  apiUrl: http://ghe.evil.example:8443/api\n', undefined, {}).github, true, {}), { kind: 'none' }, 'no owner/repo: no GitHub reporting');
    // The user's own API URL, GitHub itself, or a host trusted in the user config: never asked.
    assert.deepEqual(githubTrustStep(parseConfig('/repo', REPO, undefined, { GITHUB_API_URL: 'https://ghe.corp/api/v3' }).github, true, {}), { kind: 'none' });
    assert.deepEqual(githubTrustStep(parseConfig('/repo', 'github:\n  apiUrl: https://api.github.com\n  owner: acme\n  repo: gitops\n', undefined, {}).github, true, {}), { kind: 'none' });
  });

  it('remembers the answer per host: trust sends, deny withholds, another host is asked again', () => {
    let memory = rememberAnswer(undefined, 'ghe.evil.example:8443', 'trust');
    assert.deepEqual(githubTrustStep(config.github, true, memory), { kind: 'send', host: 'ghe.evil.example:8443' });
    memory = rememberAnswer(memory, 'ghe.evil.example:8443', 'deny');
    assert.deepEqual(githubTrustStep(config.github, true, memory), { kind: 'withhold', host: 'ghe.evil.example:8443' });
    assert.equal(githubTrustStep(parseConfig('/repo', REPO.replace(':8443', ':9443'), undefined, {}).github, true, memory).kind, 'ask', 'the same name on another port is another host');
    assert.deepEqual(readAnswers({ 'a:1': 'trust', 'b:2': 'deny', 'c:3': 'yes', d: 1 }), { 'a:1': 'trust', 'b:2': 'deny' });
    assert.deepEqual(readAnswers(['trust']), {});
    assert.deepEqual(readAnswers(undefined), {});
  });

  it('trusting removes only the untrusted mark: the token may then go to the repository\'s URL', () => {
    const trusted = trustGitHubHost(config);
    assert.equal(trusted.github.untrustedHost, undefined);
    assert.deepEqual(trusted.github, { apiUrl: 'http://ghe.evil.example:8443/api', owner: 'acme', repo: 'gitops' });
    assert.equal(config.github.untrustedHost, 'ghe.evil.example:8443', 'the loaded configuration is not changed');
  });

  it('the question: names the credential and the host; Enter does not trust, Escape cancels', () => {
    const q = trustQuestion({ credential: 'GitHub token', host: 'ghe.evil.example:8443', url: 'http://ghe.evil.example:8443/api', key: 'github.apiUrl' });
    assert.equal(q.message, 'The repository asks to send your GitHub token to ghe.evil.example:8443. Trust this host?');
    assert.deepEqual(q.buttons.map((b) => b.id), ['deny', 'trust', 'cancel']);
    assert.equal(q.focused, 'deny');
    assert.equal(q.dismiss, 'cancel');
    assert.ok(q.detail.includes('.gitops-deploy.yaml sets github.apiUrl to http://ghe.evil.example:8443/api'), q.detail);
  });

  it('gitopsDeploy.kubeconfig: only the user\'s (global) value counts, ~ expanded; it replaces the configuration\'s', () => {
    assert.equal(userScopeKubeconfig({ globalValue: '~/.kube/work' }, '/home/me'), '/home/me/.kube/work');
    assert.equal(userScopeKubeconfig({ globalValue: '  ' }, '/home/me'), undefined);
    assert.equal(userScopeKubeconfig({ workspaceValue: './evil-kubeconfig' } as { globalValue?: unknown }, '/home/me'), undefined, 'a workspace value is ignored');
    assert.equal(userScopeKubeconfig(undefined, '/home/me'), undefined);
    const repo = parseConfig('/repo', 'kubernetes:\n  kubeconfig: ops/kubeconfig\n', undefined, {});
    assert.equal(withUserKubeconfig(repo, '/home/me/.kube/work').kubernetes.kubeconfig, '/home/me/.kube/work');
    assert.equal(withUserKubeconfig(repo, undefined).kubernetes.kubeconfig, undefined, 'never the repository\'s ops/kubeconfig');
  });
});
