// Makes a throw-away GitOps repository for the e2e tests and `npm start`: a copy of
// test/e2e/fixtures/gitops-repo, `git init`-ed with one commit. Returns its absolute path.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'gitops-repo');

/**
 * @param {string} [parent] folder to create the repository in (default: a new temp folder)
 * @returns {string} the repository's path
 */
export function prepareFixtureRepo(parent) {
  const base = parent ?? fs.mkdtempSync(path.join(os.tmpdir(), 'gitops-e2e-'));
  const repo = path.join(base, 'gitops-repo');
  fs.rmSync(repo, { recursive: true, force: true });
  fs.cpSync(FIXTURE_DIR, repo, { recursive: true });
  const git = (...args) =>
    execFileSync('git', ['-c', 'user.name=GitOps E2E', '-c', 'user.email=e2e@example.invalid', '-c', 'commit.gpgsign=false', ...args], {
      cwd: repo,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  git('init', '-q', '-b', 'main');
  git('add', '-A');
  git('commit', '-q', '-m', 'Fixture GitOps repository');
  return repo;
}
