// pinDigest: the verified digest written beside the tag (editValuesText), byte for byte.
import { strict as assert } from 'node:assert';
import { FileProblem } from '../../src/pipeline/errors';
import { editValuesText, parseImageTags } from '../../src/pipeline/model/imageTags';

const D1 = 'sha256:' + '1'.repeat(64);
const D2 = 'sha256:' + 'a'.repeat(64);

const VALUES = `# Image tags for staging — edited by GitOps Deploy, reviewed by humans.

accounts:   # the accounts service
  image:
    repository: eazybank/accounts   # ECR repo
    tag: "1.4.0"     # promoted 2026-11-20
    pullPolicy: IfNotPresent

cards: {image: {tag: '2.0.1', pullPolicy: IfNotPresent}}

loans:
  tag: 3.1.0
gateway: "0.9.7"      # plain string form
`;

function tags(text: string): Record<string, string> {
  return Object.fromEntries([...parseImageTags(text).entries].map(([k, v]) => [k, v.tag]));
}

describe('editValuesText (pinDigest: the digest beside the tag)', () => {
  it('adds a digest line right after the tag line, indented like it, in the tag\'s quoting; every other byte kept', () => {
    const edit = editValuesText(VALUES, 'accounts', '1.5.0', D1);
    assert.equal(edit.text, VALUES.replace('    tag: "1.4.0"     # promoted 2026-11-20\n', `    tag: "1.5.0"     # promoted 2026-11-20\n    digest: "${D1}"\n`));
    assert.equal(edit.previousTag, '1.4.0');
    assert.equal(edit.previousDigest, undefined);
    assert.deepEqual(tags(edit.text), { accounts: '1.5.0', cards: '2.0.1', loans: '3.1.0', gateway: '0.9.7' });
  });

  it('updates a digest that is there (its own quoting and comment kept) and reports the previous one', () => {
    const pinned = editValuesText(VALUES, 'accounts', '1.5.0', D1).text.replace(`digest: "${D1}"`, `digest: '${D1}'   # pinned`);
    const edit = editValuesText(pinned, 'accounts', '1.6.0', D2);
    assert.equal(edit.text, pinned.replace('tag: "1.5.0"', 'tag: "1.6.0"').replace(`digest: '${D1}'   # pinned`, `digest: '${D2}'   # pinned`));
    assert.equal(edit.previousDigest, D1);
  });

  it('without a digest (pinDigest off) a digest left beside the tag is removed, its line only; none there → the tag edit alone', () => {
    const pinned = editValuesText(VALUES, 'accounts', '1.5.0', D1).text;
    const edit = editValuesText(pinned, 'accounts', '1.6.0', undefined);
    assert.equal(edit.text, VALUES.replace('tag: "1.4.0"', 'tag: "1.6.0"'));
    assert.equal(edit.previousDigest, D1);
    assert.equal(editValuesText(VALUES, 'accounts', '1.6.0', undefined).text, VALUES.replace('tag: "1.4.0"', 'tag: "1.6.0"'));
    assert.equal(editValuesText(VALUES, 'gateway', '0.9.8', undefined).text, VALUES.replace('gateway: "0.9.7"', 'gateway: "0.9.8"'));
  });

  it('the {tag} shape (plain scalar): digest after the tag line, plain; the last line of a file without a final newline', () => {
    const edit = editValuesText(VALUES, 'loans', '3.2.0', D1);
    assert.equal(edit.text, VALUES.replace('  tag: 3.1.0\n', `  tag: 3.2.0\n  digest: ${D1}\n`));
    const noFinalNewline = 'loans:\n  tag: 3.1.0';
    assert.equal(editValuesText(noFinalNewline, 'loans', '3.2.0', D1).text, `loans:\n  tag: 3.2.0\n  digest: ${D1}`);
  });

  it('a flow mapping: added after the tag inside the braces, removed with its comma', () => {
    const edit = editValuesText(VALUES, 'cards', '2.1.0', D1);
    assert.equal(edit.text, VALUES.replace("cards: {image: {tag: '2.0.1', pullPolicy: IfNotPresent}}", `cards: {image: {tag: '2.1.0', digest: '${D1}', pullPolicy: IfNotPresent}}`));
    assert.equal(editValuesText(edit.text, 'cards', '2.2.0', undefined).text, VALUES.replace("tag: '2.0.1'", "tag: '2.2.0'"));
  });

  it('CRLF files keep CRLF; an empty `digest:` gets the value with a space', () => {
    const crlf = 'accounts:\r\n  image:\r\n    tag: "1.4.0"\r\n    pullPolicy: Always\r\n';
    assert.equal(editValuesText(crlf, 'accounts', '1.5.0', D1).text, `accounts:\r\n  image:\r\n    tag: "1.5.0"\r\n    digest: "${D1}"\r\n    pullPolicy: Always\r\n`);
    const empty = 'accounts:\n  image:\n    tag: "1.4.0"\n    digest:\n';
    assert.equal(editValuesText(empty, 'accounts', '1.5.0', D1).text, `accounts:\n  image:\n    tag: "1.5.0"\n    digest: "${D1}"\n`);
  });

  it('refuses, changing nothing: a digest for a bare tag (no mapping to hold it), a malformed digest, a digest that is a mapping', () => {
    assert.throws(() => editValuesText(VALUES, 'gateway', '0.9.8', D1), (e: unknown) => e instanceof FileProblem && /gateway.*bare value/.test(e.message) && e.line === 13);
    assert.throws(() => editValuesText(VALUES, 'accounts', '1.5.0', 'sha256:abc'), (e: unknown) => e instanceof FileProblem && /not an image digest/.test(e.message));
    assert.throws(() => editValuesText('accounts:\n  image:\n    tag: "1"\n    digest: {a: 1}\n', 'accounts', '2', D1), (e: unknown) => e instanceof FileProblem && /image\.digest is not a plain or quoted value/.test(e.message));
  });
});
