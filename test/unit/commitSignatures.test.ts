import { strict as assert } from 'node:assert';
import { hasSignatureHeader, parseSignatureLog } from '../../src/clients/recordsGit';
import { signatureProblems, type CommitSignature } from '../../src/pipeline/recordsVerify';

const sha = (c: string) => c.repeat(40);

describe('records verify: commit signatures (git.signCommits)', () => {
  const what = new Map([
    [sha('a'), { file: 'docs/deployments/prod/a.md', role: 'deploy commit' }],
    [sha('b'), { file: 'docs/deployments/prod/a.md', role: 'record commit' }],
    [sha('c'), { role: 'deploy commit' }],
    [sha('d'), { role: 'deploy commit' }],
    [sha('e'), { role: 'deploy commit' }],
  ]);

  it('unsigned, bad, revoked and untrusted are errors with git’s verdict as fields; good and expired count as verified', () => {
    const sigs: CommitSignature[] = [
      { sha: sha('a'), signed: false, status: 'N' },
      { sha: sha('b'), signed: true, status: 'G', key: 'SHA256:k1', signer: 'alice@example.invalid' },
      { sha: sha('c'), signed: true, status: 'B', key: 'SHA256:k1' },
      { sha: sha('d'), signed: true, status: 'U', key: 'SHA256:k9' },
      { sha: sha('e'), signed: true, status: 'X', key: 'ABCDEF', signer: 'bob' },
    ];
    const r = signatureProblems('prod', sigs, what);
    assert.equal(r.verified, 2);
    assert.deepEqual(r.problems.map((p) => [p.kind, p.commit, p.file, p.error, p.signature]), [
      ['unsigned-commit', sha('a'), 'docs/deployments/prod/a.md', true, { status: 'N' }],
      ['bad-signature', sha('c'), undefined, true, { status: 'B', key: 'SHA256:k1' }],
      ['untrusted-signature', sha('d'), undefined, true, { status: 'U', key: 'SHA256:k9' }],
    ]);
  });

  it('signed commits that cannot be checked here (no allowed-signers file: N with a signature; E) make one warning', () => {
    const r = signatureProblems('prod', [
      { sha: sha('a'), signed: true, status: 'N' },
      { sha: sha('c'), signed: true, status: 'E', key: 'ABCDEF' },
    ], what);
    assert.equal(r.verified, 0);
    assert.deepEqual(r.problems.map((p) => [p.kind, p.commit, p.error]), [['unverifiable-signature', sha('a'), false]]);
  });

  it('parses git log’s signature fields, and finds the signature header of a commit object', () => {
    const out = `${sha('a')}\x1fG\x1fSHA256:k1\x1falice@example.invalid\x1e\n${sha('b')}\x1fN\x1f\x1f\x1e\n`;
    assert.deepEqual(parseSignatureLog(out), [
      { sha: sha('a'), status: 'G', key: 'SHA256:k1', signer: 'alice@example.invalid' },
      { sha: sha('b'), status: 'N' },
    ]);
    const signed = `tree ${sha('1')}\nauthor A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\ngpgsig -----BEGIN SSH SIGNATURE-----\n U1NIU0lH\n -----END SSH SIGNATURE-----\n\nDeploy\n`;
    assert.equal(hasSignatureHeader(signed), true);
    assert.equal(hasSignatureHeader(`tree ${sha('1')}\nauthor A <a@x> 1 +0000\n\ngpgsig in the message is not a signature\n`), false);
  });
});
