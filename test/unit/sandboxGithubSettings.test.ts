import { strict as assert } from 'node:assert';
import { normalizeGithub, protectionRefusal } from '../../sandbox/pulls';

describe('sandbox github settings', () => {
  it('defaults: unprotected, no reviews, auto-merge not allowed, every merge method', () => {
    const g = normalizeGithub(undefined);
    assert.deepEqual([g.protectedBranch, g.requiredReviews, g.autoMerge, g.mergeMethods, g.requireUpToDate], [false, 0, false, ['merge', 'squash', 'rebase'], false]);
  });

  it('a protected branch needs one review unless told otherwise', () => {
    assert.equal(normalizeGithub({ protectedBranch: true }).requiredReviews, 1);
    assert.equal(normalizeGithub({ protectedBranch: true, requiredReviews: 2 }).requiredReviews, 2);
    assert.equal(normalizeGithub({ protectedBranch: true, requiredReviews: 0 }).requiredReviews, 0);
  });

  it('refuses unknown keys and bad values', () => {
    assert.throws(() => normalizeGithub({ protected: true } as never), /github\.protected is not a setting/);
    assert.throws(() => normalizeGithub({ mergeMethods: ['fast-forward'] } as never), /mergeMethods/);
    assert.throws(() => normalizeGithub({ requiredReviews: 7, protectedBranch: true }), /requiredReviews/);
    assert.throws(() => normalizeGithub({ autoApproveSeconds: -1 }), /autoApproveSeconds/);
  });

  it('words the refusal of a direct push as GitHub does', () => {
    assert.deepEqual(protectionRefusal(normalizeGithub({ protectedBranch: true })), ['error: GH006: Protected branch update failed for refs/heads/main.', 'error: Changes must be made through a pull request.']);
    assert.equal(protectionRefusal(normalizeGithub({ protectedBranch: true, requiredChecks: ['build'] }))[2], 'error: Required status check "build" is expected.');
    assert.equal(protectionRefusal(normalizeGithub({ protectedBranch: true, requiredChecks: ['a', 'b'] }))[2], 'error: 2 of 2 required status checks are expected.');
  });
});
