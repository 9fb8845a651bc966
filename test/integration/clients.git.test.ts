// The git adapter against a real bare origin and two clones.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { GitCli, runGit } from '../../src/clients/git';

function sh(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_TERMINAL_PROMPT: '0' } });
}

function write(dir: string, rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
  fs.writeFileSync(path.join(dir, rel), text);
}

/** A bare `origin.git` under `tmp` whose main holds one commit of these files (path → text). */
function seedOrigin(tmp: string, files: Record<string, string>): string {
  const origin = path.join(tmp, 'origin.git');
  execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', origin]);
  const seed = path.join(tmp, 'seed');
  execFileSync('git', ['init', '--quiet', '--initial-branch=main', seed]);
  sh(seed, 'config', 'user.name', 'Seed');
  sh(seed, 'config', 'user.email', 'seed@example.com');
  for (const [rel, text] of Object.entries(files)) write(seed, rel, text);
  sh(seed, 'add', '-A');
  sh(seed, 'commit', '--quiet', '-m', 'seed');
  sh(seed, 'remote', 'add', 'origin', origin);
  sh(seed, 'push', '--quiet', 'origin', 'main');
  return origin;
}

function clone(origin: string, dir: string, name: string): void {
  execFileSync('git', ['clone', '--quiet', origin, dir]);
  sh(dir, 'config', 'user.name', name);
  sh(dir, 'config', 'user.email', `${name.toLowerCase().replace(/\s+/g, '.')}@example.com`);
  sh(dir, 'config', 'commit.gpgsign', 'false');
}

describe('clients: git adapter', function () {
  this.timeout(30_000);
  let tmp: string;
  let origin: string;
  let a: string;
  let b: string;
  let git: GitCli;

  before(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clients-git-'));
    origin = seedOrigin(tmp, { 'helm/environments/dev-env/image-tags.yaml': 'accounts: "1.0.0"\ncards: "2.0.0"\n', 'README.md': 'readme\n' });
    a = path.join(tmp, 'a');
    b = path.join(tmp, 'b');
    clone(origin, a, 'Alice Example');
    clone(origin, b, 'Bob');
    git = new GitCli({ root: a, remote: 'origin', branch: 'main' });
  });

  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  const values = 'helm/environments/dev-env/image-tags.yaml';

  it('reads head, user and remote sha', async () => {
    assert.equal(await git.headSha(), sh(a, 'rev-parse', 'HEAD').trim());
    assert.equal(await git.userName(), 'Alice Example');
    await git.fetch();
    assert.equal(await git.remoteSha(), sh(origin, 'rev-parse', 'main').trim());
    assert.deepEqual(await git.dirtyFiles(), []);
  });

  it('commits only the given paths while others are staged and dirty', async () => {
    write(a, values, 'accounts: "1.1.0"\ncards: "2.0.0"\n');
    write(a, 'README.md', 'readme, edited by the user\n');
    sh(a, 'add', 'README.md');
    write(a, 'notes.txt', 'untracked\n');
    write(a, 'docs/deployments/dev/2026-01-01-accounts.md', '# record\n');
    assert.deepEqual((await git.dirtyFiles()).sort(), ['README.md', 'docs/deployments/dev/2026-01-01-accounts.md', 'helm/environments/dev-env/image-tags.yaml', 'notes.txt']);

    const message = 'Deploy accounts 1.1.0 to dev\n\n#42 is the ticket\n\nDeploy-Actor: Alice Example\nDeploy-Reason: test\n';
    const sha = await git.commit([path.join(a, values), 'docs/deployments/dev/2026-01-01-accounts.md'], message);
    assert.equal(sha, sh(a, 'rev-parse', 'HEAD').trim());
    const files = sh(a, 'show', '--name-only', '--format=', 'HEAD').trim().split('\n').sort();
    assert.deepEqual(files, ['docs/deployments/dev/2026-01-01-accounts.md', values]);
    assert.equal(sh(a, 'log', '-1', '--format=%B').trim(), message.trim());
    // The user's staged README and untracked notes are untouched.
    const status = sh(a, 'status', '--porcelain').split('\n').filter(Boolean).sort();
    assert.deepEqual(status, ['?? notes.txt', 'M  README.md']);
    sh(a, 'reset', '--quiet', 'README.md');
  });

  it('pushes', async () => {
    assert.deepEqual(await git.push(), { ok: true });
    assert.equal(sh(origin, 'rev-parse', 'main').trim(), await git.headSha());
    assert.equal(await git.remoteSha(), await git.headSha());
  });

  it('shows files at a revision and logs a path newest first', async () => {
    assert.equal(await git.show('origin/main', values), 'accounts: "1.1.0"\ncards: "2.0.0"\n');
    assert.equal(await git.show('HEAD~1', path.join(a, values)), 'accounts: "1.0.0"\ncards: "2.0.0"\n');
    assert.equal(await git.show('HEAD~1', 'docs/deployments/dev/2026-01-01-accounts.md'), undefined);
    assert.equal(await git.show('HEAD', 'no/such/file.yaml'), undefined);
    await assert.rejects(git.show('no-such-rev', values));
    const log = await git.log(values, 10);
    assert.equal(log.length, 2);
    assert.deepEqual(log.map((c) => c.subject), ['Deploy accounts 1.1.0 to dev', 'seed']);
    assert.equal(log[0].author, 'Alice Example');
    assert.equal(log[0].sha, await git.headSha());
    assert.ok(!Number.isNaN(Date.parse(log[0].date)));
    assert.equal((await git.log(values, 1)).length, 1);
  });

  it('detects a non-fast-forward rejection, rebases onto the remote and pushes', async () => {
    sh(b, 'pull', '--quiet', 'origin', 'main');
    write(b, 'docs/bob.md', 'from bob\n');
    sh(b, 'add', 'docs/bob.md');
    sh(b, 'commit', '--quiet', '-m', 'bob adds a doc');
    sh(b, 'push', '--quiet', 'origin', 'main');

    write(a, values, 'accounts: "1.2.0"\ncards: "2.0.0"\n');
    await git.commit([values], 'Deploy accounts 1.2.0 to dev');
    const r = await git.push();
    assert.equal(r.ok, false);
    assert.ok(!r.ok && r.rejected === 'non-fast-forward', JSON.stringify(r));
    assert.ok(!r.ok && /rejected/.test(r.message));

    await git.fetch();
    assert.equal(await git.remoteSha(), sh(b, 'rev-parse', 'HEAD').trim());
    // notes.txt (untracked) stays; the dirty README is autostashed and comes back.
    assert.equal(await git.rebaseOntoRemote(), true);
    assert.equal(fs.readFileSync(path.join(a, 'README.md'), 'utf8'), 'readme, edited by the user\n');
    assert.equal(fs.readFileSync(path.join(a, 'notes.txt'), 'utf8'), 'untracked\n');
    assert.equal(sh(a, 'rev-parse', 'HEAD~1').trim(), sh(b, 'rev-parse', 'HEAD').trim());
    assert.deepEqual(await git.push(), { ok: true });
    assert.equal(fs.readFileSync(path.join(a, 'docs/bob.md'), 'utf8'), 'from bob\n');
  });

  it('aborts a conflicting rebase and leaves the tree as it was', async () => {
    sh(b, 'pull', '--quiet', 'origin', 'main');
    write(b, values, 'accounts: "9.9.9"\ncards: "2.0.0"\n');
    sh(b, 'commit', '--quiet', '-am', 'bob deploys accounts 9.9.9');
    sh(b, 'push', '--quiet', 'origin', 'main');

    write(a, values, 'accounts: "1.3.0"\ncards: "2.0.0"\n');
    const mine = await git.commit([values], 'Deploy accounts 1.3.0 to dev');
    write(a, 'README.md', 'user is editing\n');
    const r = await git.push();
    assert.ok(!r.ok && r.rejected === 'non-fast-forward');
    await git.fetch();
    assert.equal(await git.rebaseOntoRemote(), false);
    assert.equal(await git.headSha(), mine);
    assert.equal(fs.readFileSync(path.join(a, values), 'utf8'), 'accounts: "1.3.0"\ncards: "2.0.0"\n');
    assert.equal(fs.readFileSync(path.join(a, 'README.md'), 'utf8'), 'user is editing\n');
    assert.ok(!fs.existsSync(path.join(a, '.git', 'rebase-merge')) && !fs.existsSync(path.join(a, '.git', 'rebase-apply')));

    // Undo the unpushed commit; the user's dirty README survives.
    await git.resetHard(sh(a, 'rev-parse', 'HEAD~1').trim());
    assert.equal(fs.readFileSync(path.join(a, values), 'utf8'), 'accounts: "1.2.0"\ncards: "2.0.0"\n');
    assert.equal(fs.readFileSync(path.join(a, 'README.md'), 'utf8'), 'user is editing\n');
  });

  it('restores modified and new paths from HEAD', async () => {
    write(a, values, 'garbage\n');
    write(a, 'docs/deployments/dev/new-record.md', 'new\n');
    sh(a, 'add', 'docs/deployments/dev/new-record.md');
    await git.restore([values, 'docs/deployments/dev/new-record.md']);
    assert.equal(fs.readFileSync(path.join(a, values), 'utf8'), 'accounts: "1.2.0"\ncards: "2.0.0"\n');
    assert.ok(!fs.existsSync(path.join(a, 'docs/deployments/dev/new-record.md')));
    assert.ok(!(await git.dirtyFiles()).includes('docs/deployments/dev/new-record.md'));
  });

  it('reports other push failures as other, without credentials', async () => {
    const broken = new GitCli({ root: a, remote: 'nowhere', branch: 'main' });
    sh(a, 'remote', 'add', 'nowhere', 'https://user:s3cr3t-token@127.0.0.1:9/none.git');
    try {
      const r = await broken.push();
      assert.ok(!r.ok && r.rejected === 'other', JSON.stringify(r));
      assert.ok(!r.ok && !r.message.includes('s3cr3t-token'), r.ok ? '' : r.message);
    } finally {
      sh(a, 'remote', 'remove', 'nowhere');
    }
  });

  it('kills git on abort', async () => {
    const ac = new AbortController();
    ac.abort();
    await assert.rejects(git.headSha(ac.signal), /abort/i);
    const ac2 = new AbortController();
    const p = runGit(a, ['hash-object', '--stdin'], { signal: ac2.signal, input: undefined });
    ac2.abort();
    await assert.rejects(p, /abort/i);
  });
});

describe('clients: git adapter on a GitOps folder inside a bigger repository', function () {
  this.timeout(30_000);

  it('reads origin, builds a commit with a private index, pushes it by id and fast-forwards the checkout — paths are the folder’s', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'clients-git-sub-'));
    const origin = seedOrigin(tmp, { 'deploy/gitops/helm/environments/dev-env/image-tags.yaml': 'accounts: "1.0.0"\n', 'helm/environments/dev-env/image-tags.yaml': 'not: "this one"\n' });
    const work = path.join(tmp, 'work');
    clone(origin, work, 'Alice');
    const root = path.join(work, 'deploy', 'gitops');
    const git = new GitCli({ root, remote: 'origin', branch: 'main' });
    const values = 'helm/environments/dev-env/image-tags.yaml';
    await git.fetch();
    const base = await git.remoteSha();
    assert.equal(await git.show(base, values), 'accounts: "1.0.0"\n');
    assert.deepEqual(await git.listFiles(base, 'helm'), [values]);
    const sha = await git.commitOnto(base, { [values]: 'accounts: "1.1.0"\n' }, 'Deploy accounts to dev: 1.0.0 → 1.1.0\n');
    assert.deepEqual(await git.pushCommit(sha), { ok: true });
    // the change is the folder's file; the top-level file of the same name is untouched
    assert.equal(sh(origin, 'show', 'main:deploy/gitops/helm/environments/dev-env/image-tags.yaml'), 'accounts: "1.1.0"\n');
    assert.equal(sh(origin, 'show', 'main:helm/environments/dev-env/image-tags.yaml'), 'not: "this one"\n');
    assert.deepEqual((await git.history('origin/main', values, 5)).map((c) => c.sha), [sha, base]);
    assert.deepEqual(await git.syncCheckout(sha), { kind: 'fast-forwarded' });
    assert.equal(fs.readFileSync(path.join(root, values), 'utf8'), 'accounts: "1.1.0"\n');
    assert.equal(sh(work, 'status', '--porcelain'), '');
    fs.rmSync(tmp, { recursive: true, force: true });
  });
});
