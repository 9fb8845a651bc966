import { strict as assert } from 'node:assert';
import { rng } from '../support/rng';
import { fastParseImageTags } from '../../src/pipeline/model/fastTags';
import { parseImageTagsFull } from '../../src/pipeline/model/imageTags';


const VALUES = ['"1.4.0"', "'2.0.1'", '3.1.0', '123', '1.10', 'true', 'null', '~', '""', 'v1.2.3', 'main-abc123', '"a # not a comment"', '1.0 # comment', '"x"  # c', '&a "1.0"', '*a', '{tag: "9"}', '[1, 2]', '|\n    block', '"esc\\"aped"', "'it''s'", 'a: b', '', 'yes', '0x1F', '"1.0"#bad'];
const KEYS = ['accounts', 'cards', 'loans', 'gateway', 'image', 'tag', 'true', '"quoted"', 'a.b', 'x-y', '_u', '1.0', 'accounts'];

function generate(r: () => number): string {
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  const lines: string[] = [];
  if (r() < 0.3) lines.push('# header comment');
  const n = 1 + Math.floor(r() * 6);
  for (let i = 0; i < n; i++) {
    const key = pick(KEYS);
    const shape = r();
    if (r() < 0.15) lines.push('');
    if (shape < 0.3) lines.push(`${key}: ${pick(VALUES)}`);
    else if (shape < 0.6) lines.push(`${key}:${r() < 0.2 ? '  # c' : ''}`, `  image:`, `    repository: acme/${key}`, `    tag: ${pick(VALUES)}`);
    else if (shape < 0.8) lines.push(`${key}:`, `  tag: ${pick(VALUES)}`, ...(r() < 0.3 ? ['  pullPolicy: Always'] : []));
    else if (shape < 0.9) lines.push(`${key}:`, `    image:`, `        tag: ${pick(VALUES)}`);
    else lines.push(`${key}:`, `  - item`, `\ttag: x`);
  }
  return lines.join(r() < 0.1 ? '\r\n' : '\n') + (r() < 0.8 ? '\n' : '');
}

describe('fast values-file reader', () => {
  it('agrees with the full YAML parser whenever it answers (2,000 generated files)', () => {
    let answered = 0;
    for (let seed = 1; seed <= 2000; seed++) {
      const text = generate(rng(seed));
      for (const tagPath of ['auto', '{service}.image.tag']) {
        const fast = fastParseImageTags(text, tagPath);
        if (!fast) continue;
        answered++;
        let full: Map<string, unknown>;
        try {
          full = parseImageTagsFull(text, tagPath).entries;
        } catch (err) {
          assert.fail(`seed ${seed} (${tagPath}): fast reader answered but the file is invalid YAML: ${err}\n${text}`);
        }
        assert.deepEqual([...fast.entries()], [...full.entries()], `seed ${seed} (${tagPath})\n${text}`);
      }
    }
    assert.ok(answered > 300, `the fast path answered ${answered} times`);
  });

  it('answers for the seed layout', () => {
    const text = '# stag\naccounts:\n  image:\n    tag: "1.4.0"   # note\ncards:\n  image:\n    tag: 2.0.0\n';
    assert.deepEqual([...fastParseImageTags(text, 'auto')!.values()].map((e) => [e.service, e.tag, e.line]), [['accounts', '1.4.0', 4], ['cards', '2.0.0', 7]]);
  });
});
