// The README's copy-paste setup (EKS, Argo CD in a management cluster, protected main) is a real
// configuration: it loads, and each environment gets the mode the README says it has.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { argoCdMode, loadConfig } from '../../src/pipeline/config/load';

const README = path.join(__dirname, '..', '..', 'README.md');

function exampleOf(heading: string): string {
  const text = fs.readFileSync(README, 'utf8');
  const at = text.indexOf(heading);
  assert.ok(at >= 0, `README has "${heading}"`);
  const start = text.indexOf('```yaml\n', at) + '```yaml\n'.length;
  return text.slice(start, text.indexOf('```', start));
}

describe("README: a real team's setup", () => {
  it('loads, with pull requests everywhere (prod merged by a reviewer), Argo CD in the management context for dev/stag and through its API server for prod', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-readme-'));
    try {
      fs.writeFileSync(path.join(dir, '.gitops-deploy.yaml'), exampleOf("### A real team's setup"));
      const config = await loadConfig(dir, {});
      const by = Object.fromEntries(config.environments.map((e) => [e.name, e]));
      assert.deepEqual(Object.keys(by), ['dev', 'stag', 'prod']);
      assert.deepEqual([by.dev.git.mode, by.dev.git.merge, by.prod.git.mode, by.prod.git.merge], ['pull-request', 'auto', 'pull-request', 'manual']);
      assert.deepEqual(config.environments.map((e) => argoCdMode(e.argocd)), ['other-context', 'other-context', 'api-server']);
      assert.equal(by.prod.kubeContext, 'arn:aws:eks:us-east-1:333333333333:cluster/prod');
      // Named by the repository: no token goes there until the host is trusted.
      assert.equal(by.prod.argocd.untrustedHost, 'argocd.example.com');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
