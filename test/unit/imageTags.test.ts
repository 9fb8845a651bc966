import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FileProblem } from '../../src/pipeline/errors';
import { parseImageTags, setImageTag, writeImageTag } from '../../src/pipeline/model/imageTags';
import { tagProblem } from '../../src/pipeline/model/tags';

const ODD = `# Image tags for staging — edited by GitOps Deploy, reviewed by humans.
# Keep the services sorted.

accounts:   # the accounts service
  image:
    repository: eazybank/accounts   # ECR repo
    tag: "1.4.0"     # promoted 2026-11-20

cards: {image: {tag: '2.0.1', pullPolicy: IfNotPresent}}

loans:
  tag: 3.1.0


gateway: "0.9.7"      # plain string form
defaults: &defaults
  tag: "9.9.9"
legacy:
  <<: *defaults
numeric:
  image:
    tag: 123
`;

function tags(text: string, tagPath = 'auto'): Record<string, string> {
  return Object.fromEntries([...parseImageTags(text, tagPath).entries].map(([k, v]) => [k, v.tag]));
}

describe('image-tags.yaml model', () => {
  it('reads every common shape', () => {
    assert.deepEqual(tags(ODD), { accounts: '1.4.0', cards: '2.0.1', loans: '3.1.0', gateway: '0.9.7', defaults: '9.9.9', numeric: '123' });
  });

  it('reads a configurable key path', () => {
    const text = 'global:\n  registry: x\nservices:\n  accounts:\n    image:\n      tag: "1.0.0"\n  cards:\n    image:\n      tag: 2.0.0\n';
    assert.deepEqual(tags(text, 'services.{service}.image.tag'), { accounts: '1.0.0', cards: '2.0.0' });
  });

  it('reports line numbers of the tag scalars', () => {
    const e = parseImageTags(ODD).entries;
    assert.equal(e.get('accounts')!.line, 7);
    assert.equal(e.get('gateway')!.line, 15);
  });

  for (const [service, from, to, expectedLine] of [
    ['accounts', '"1.4.0"', '"1.5.0"', '    tag: "1.5.0"     # promoted 2026-11-20'],
    ['cards', "'2.0.1'", "'2.1.0'", "cards: {image: {tag: '2.1.0', pullPolicy: IfNotPresent}}"],
    ['loans', '3.1.0', '3.2.0', '  tag: 3.2.0'],
    ['gateway', '"0.9.7"', '"1.0.0"', 'gateway: "1.0.0"      # plain string form'],
  ] as const) {
    it(`changes only the one scalar of ${service} (${from} → ${to}), every other byte identical`, () => {
      const newTag = to.replace(/['"]/g, '');
      const { text, previousTag } = setImageTag(ODD, service, newTag);
      assert.equal(previousTag, from.replace(/['"]/g, ''));
      const i = ODD.indexOf(from, service === 'accounts' ? ODD.indexOf('accounts:') : ODD.indexOf(`${service}:`));
      assert.equal(text, ODD.slice(0, i) + to + ODD.slice(i + from.length));
      assert.ok(text.split('\n').includes(expectedLine), `line ${expectedLine} in\n${text}`);
      assert.deepEqual(tags(text), { ...tags(ODD), [service]: newTag });
    });
  }

  it('quotes a plain tag that would otherwise read back as a number', () => {
    const { text } = setImageTag(ODD, 'numeric', '124');
    assert.ok(text.includes('    tag: "124"\n'));
    assert.equal(tags(text).numeric, '124');
    const { text: t2 } = setImageTag(ODD, 'loans', '1.10');
    assert.ok(t2.includes('  tag: "1.10"\n'), 'a YAML float stays a string');
  });

  it('keeps an anchor on the scalar it edits', () => {
    const text = 'base:\n  tag: &t "1.0.0"\nother: "x"\n';
    const out = setImageTag(text, 'base', '1.1.0').text;
    assert.equal(out, 'base:\n  tag: &t "1.1.0"\nother: "x"\n');
  });

  it('refuses to edit through an alias, and says where', () => {
    const text = 'base: &b "1.0.0"\ncopy: *b\n';
    assert.throws(() => setImageTag(text, 'copy', '2.0.0'), (e: FileProblem) => e instanceof FileProblem && /alias/.test(e.message) && e.line === 2);
  });

  it('preserves CRLF line endings and a missing final newline', () => {
    const text = '# c\r\naccounts:\r\n  image:\r\n    tag: "1.0.0"';
    assert.equal(setImageTag(text, 'accounts', '1.0.1').text, '# c\r\naccounts:\r\n  image:\r\n    tag: "1.0.1"');
  });

  for (const bad of ['', '-leading-dash', 'has space', 'semi;colon', '"quoted"', 'a'.repeat(129), 'tag\nnewline', '../etc', 'v1.0+build']) {
    it(`refuses the invalid tag ${JSON.stringify(bad.length > 20 ? bad.slice(0, 10) + '…' : bad)} before any write`, () => {
      assert.ok(tagProblem(bad));
      assert.throws(() => setImageTag(ODD, 'accounts', bad), FileProblem);
    });
  }

  for (const good of ['1.4.0', 'v1.2.3', 'main-abc123', '_x', '123', 'a'.repeat(128), 'release_2026.11.26-rc.1']) {
    it(`accepts the valid tag ${good.length > 20 ? good.slice(0, 10) + '…' : good}`, () => {
      assert.equal(tagProblem(good), undefined);
    });
  }

  it('refuses an unknown service, listing the known ones', () => {
    assert.throws(() => setImageTag(ODD, 'payments', '1.0.0'), (e: Error) => /"payments" has no image tag/.test(e.message) && /accounts, cards/.test(e.message));
  });

  it('reports malformed YAML with its line', () => {
    assert.throws(() => parseImageTags('accounts:\n  tag: "1.0\nother: x\n', 'auto', 'f.yaml'), (e: FileProblem) => e instanceof FileProblem && /not valid YAML/.test(e.message) && typeof e.line === 'number');
    assert.throws(() => parseImageTags('accounts: 1\naccounts: 2\n'), /not valid YAML/);
    assert.throws(() => parseImageTags('- a\n- b\n'), /mapping/);
  });

  describe('on disk', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'gd-tags-'));
    });
    afterEach(async () => {
      await fs.rm(dir, { recursive: true, force: true });
    });

    it('writes atomically and leaves no temp file', async () => {
      const file = path.join(dir, 'image-tags.yaml');
      await fs.writeFile(file, ODD);
      await fs.chmod(file, 0o640);
      const r = await writeImageTag(file, 'accounts', '1.5.0');
      assert.equal(r.previousTag, '1.4.0');
      const after = await fs.readFile(file, 'utf8');
      assert.equal(after, ODD.replace('tag: "1.4.0"', 'tag: "1.5.0"'));
      assert.deepEqual(await fs.readdir(dir), ['image-tags.yaml']);
      assert.equal((await fs.stat(file)).mode & 0o777, 0o640);
    });

    it('leaves a malformed file untouched', async () => {
      const file = path.join(dir, 'image-tags.yaml');
      const broken = 'accounts:\n  image:\n    tag: "1.0.0"\n  bad: [unclosed\n';
      await fs.writeFile(file, broken);
      await assert.rejects(writeImageTag(file, 'accounts', '1.1.0'), FileProblem);
      assert.equal(await fs.readFile(file, 'utf8'), broken);
      assert.deepEqual(await fs.readdir(dir), ['image-tags.yaml']);
    });

    it('leaves the file untouched when the tag is invalid', async () => {
      const file = path.join(dir, 'image-tags.yaml');
      await fs.writeFile(file, ODD);
      await assert.rejects(writeImageTag(file, 'accounts', 'bad tag'), /refusing to write/);
      assert.equal(await fs.readFile(file, 'utf8'), ODD);
    });
  });
});
