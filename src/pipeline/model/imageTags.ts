import { promises as fs } from 'node:fs';
import {
  isAlias,
  isMap,
  isScalar,
  LineCounter,
  parse,
  parseDocument,
  Scalar,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import { FileProblem } from '../errors';
import type { TagPath } from '../config/types';
import { writeFileAtomic } from './atomic';
import { fastParseImageTags, type TagEntry } from './fastTags';
import { tagProblem } from './tags';

export type { TagEntry } from './fastTags';

export interface ImageTags {
  /** Services in document order. */
  entries: Map<string, TagEntry>;
}

type Doc = Document.Parsed;

function parseDoc(text: string, file: string): { doc: Doc; lines: LineCounter } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const e = doc.errors[0];
    throw new FileProblem(file, `not valid YAML: ${e.message.split('\n')[0]}`, lines.linePos(e.pos[0]).line, 'Fix the YAML syntax; nothing was changed.');
  }
  if (doc.contents !== null && !isMap(doc.contents)) {
    throw new FileProblem(file, 'expected a mapping of services to image tags at the top level', 1);
  }
  return { doc, lines };
}

function keyOf(pair: any): string | undefined {
  const k = pair?.key;
  if (isScalar(k) && (typeof k.value === 'string' || typeof k.value === 'number')) return String(k.value);
  return undefined;
}

function child(node: unknown, key: string): YamlNode | undefined {
  if (!isMap(node)) return undefined;
  const pair = node.items.find((p) => keyOf(p) === key);
  return (pair?.value ?? undefined) as YamlNode | undefined;
}

/** The candidate key paths of one service for `auto`, most specific first. */
const AUTO_SUFFIXES: string[][] = [['image', 'tag'], ['tag'], []];

function scalarEntry(service: string, path: string[], node: YamlNode | undefined, text: string, lines: LineCounter, file: string): TagEntry | undefined {
  if (node === undefined) return undefined;
  if (isAlias(node)) {
    throw new FileProblem(file, `the tag of "${service}" (${path.join('.')}) is an alias (*${node.source}); edit the anchor it points to instead`, lines.linePos(node.range![0]).line);
  }
  if (!isScalar(node) || node.value === null || node.range === undefined || node.range === null) return undefined;
  const [start, end] = node.range;
  const style = (node.type ?? Scalar.PLAIN) as Scalar.Type;
  const tag = typeof node.value === 'string' ? node.value : text.slice(start, end).trim();
  return { service, tag, path, line: lines.linePos(start).line, range: [start, end], style };
}

function collect(text: string, tagPath: TagPath, file: string): { entries: Map<string, TagEntry>; doc: Doc } {
  const { doc, lines } = parseDoc(text, file);
  const entries = new Map<string, TagEntry>();
  const root = doc.contents;
  if (!isMap(root)) return { entries, doc };
  if (tagPath === 'auto') {
    for (const pair of root.items) {
      const service = keyOf(pair);
      if (service === undefined) continue;
      for (const suffix of AUTO_SUFFIXES) {
        let node: YamlNode | undefined = pair.value as YamlNode | undefined;
        for (const k of suffix) node = child(node, k);
        if (suffix.length === 0 && !isScalar(node) && !isAlias(node)) break;
        const entry = scalarEntry(service, [service, ...suffix], node, text, lines, file);
        if (entry) {
          entries.set(service, entry);
          break;
        }
      }
    }
  } else {
    const parts = tagPath.split('.');
    const at = parts.indexOf('{service}');
    if (at < 0) throw new FileProblem(file, `tagPath "${tagPath}" must contain {service}, e.g. "{service}.image.tag"`);
    let parent: YamlNode | undefined = root as YamlNode;
    for (const k of parts.slice(0, at)) parent = child(parent, k);
    if (isMap(parent)) {
      for (const pair of parent.items) {
        const service = keyOf(pair);
        if (service === undefined) continue;
        let node = pair.value as YamlNode | undefined;
        const suffix = parts.slice(at + 1);
        for (const k of suffix) node = child(node, k);
        const entry = scalarEntry(service, [...parts.slice(0, at), service, ...suffix], node, text, lines, file);
        if (entry) entries.set(service, entry);
      }
    }
  }
  return { entries, doc };
}

/** Read every service's tag from a values file's text. Malformed YAML throws a FileProblem. */
/** The full-parser reading, for tests that compare it with the fast path. */
export function parseImageTagsFull(text: string, tagPath: TagPath = 'auto', file = 'image-tags.yaml'): ImageTags {
  return { entries: collect(text, tagPath, file).entries };
}

export function parseImageTags(text: string, tagPath: TagPath = 'auto', file = 'image-tags.yaml'): ImageTags {
  return { entries: fastParseImageTags(text, tagPath) ?? collect(text, tagPath, file).entries };
}

export async function readImageTags(file: string, tagPath: TagPath = 'auto'): Promise<ImageTags> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err: any) {
    if (err?.code === 'ENOENT') throw new FileProblem(file, 'the values file does not exist', undefined, 'Create it, or set valuesFile for this environment in .gitops-deploy.yaml.');
    throw new FileProblem(file, `cannot read the values file: ${err?.message ?? err}`);
  }
  return parseImageTags(text, tagPath, file);
}

/** Does this plain scalar read back as exactly this string under YAML 1.2 and 1.1 (Helm's go-yaml)? */
function plainIsString(tag: string): boolean {
  try {
    return parse(tag) === tag && parse(tag, { version: '1.1' }) === tag;
  } catch {
    return false;
  }
}

function render(tag: string, style: Scalar.Type): string {
  switch (style) {
    case Scalar.QUOTE_DOUBLE:
      return `"${tag}"`;
    case Scalar.QUOTE_SINGLE:
      return `'${tag}'`;
    default:
      // A tag such as 123 or 1.10 would read back as a number: quote it so it stays a string.
      return plainIsString(tag) ? tag : `"${tag}"`;
  }
}

export interface TagEdit {
  text: string;
  previousTag: string;
  entry: TagEntry;
}

/**
 * Change one service's tag in the text, touching only that scalar's bytes: comments, quoting,
 * key order, anchors, blank lines and every other key stay byte-identical.
 */
export function setImageTag(text: string, service: string, tag: string, tagPath: TagPath = 'auto', file = 'image-tags.yaml'): TagEdit {
  const problem = tagProblem(tag);
  if (problem) throw new FileProblem(file, `refusing to write: ${problem}`, undefined, 'Use a tag matching [A-Za-z0-9_][A-Za-z0-9._-]{0,127}.');
  const { entries } = collect(text, tagPath, file);
  const entry = entries.get(service);
  if (!entry) {
    const known = [...entries.keys()];
    throw new FileProblem(file, `service "${service}" has no image tag in this file${known.length ? ` (services here: ${known.join(', ')})` : ''}`, undefined, 'Add the service to the values file first, or check the spelling.');
  }
  if (entry.style === Scalar.BLOCK_FOLDED || entry.style === Scalar.BLOCK_LITERAL) {
    throw new FileProblem(file, `the tag of "${service}" is a block scalar; write it as a plain or quoted value`, entry.line);
  }
  const [start, end] = entry.range;
  const out = text.slice(0, start) + render(tag, entry.style) + text.slice(end);
  // Self-check: the edit changed exactly this one tag.
  const after = collect(out, tagPath, file).entries;
  const mismatch = [...entries.keys()].find((s) => (s === service ? after.get(s)?.tag !== tag : after.get(s)?.tag !== entries.get(s)!.tag));
  if (mismatch !== undefined || after.size !== entries.size) {
    throw new FileProblem(file, `internal check failed: editing "${service}" would also change "${mismatch ?? '(structure)'}"; nothing was written`, entry.line);
  }
  return { text: out, previousTag: entry.tag, entry };
}

/** Edit one tag in a values file atomically (temp file + rename). Returns the old and new text. */
export async function writeImageTag(file: string, service: string, tag: string, tagPath: TagPath = 'auto'): Promise<TagEdit & { before: string }> {
  const before = await fs.readFile(file, 'utf8');
  const edit = setImageTag(before, service, tag, tagPath, file);
  if (edit.text !== before) await writeFileAtomic(file, edit.text);
  return { ...edit, before };
}

/** The key written beside the tag when an environment pins digests (`pinDigest: true`). */
export const DIGEST_KEY = 'digest';

export interface ValuesEdit extends TagEdit {
  /** The digest beside the tag before the edit, when there was one. */
  previousDigest?: string;
}

function lineStart(text: string, at: number): number {
  return text.lastIndexOf('\n', at - 1) + 1;
}

/** The index of the line break ending the line that holds `at` (text.length on the last line), before a CR. */
function lineEnd(text: string, at: number): number {
  const nl = text.indexOf('\n', at);
  if (nl < 0) return text.length;
  return text[nl - 1] === '\r' ? nl - 1 : nl;
}

/**
 * The values-file edit of a deployment: set the service's tag and, beside it (the same mapping,
 * e.g. `image.tag` → `image.digest`), its verified digest — or, with `digest` undefined (an
 * environment without `pinDigest`), remove a digest left there, which would otherwise still
 * decide what runs. Only those bytes change: comments, quoting, key order and every other key
 * stay as they were; a new `digest:` line goes right after the tag's line, indented like it.
 * Refuses (FileProblem, nothing changed) a digest for a tag that is not in a mapping (`svc: "1.2.3"`).
 */
export function editValuesText(text: string, service: string, tag: string, digest: string | undefined, tagPath: TagPath = 'auto', file = 'image-tags.yaml'): ValuesEdit {
  if (digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(digest)) {
    throw new FileProblem(file, `refusing to write: ${JSON.stringify(digest)} is not an image digest (sha256:<64 hex>)`);
  }
  const tagged = setImageTag(text, service, tag, tagPath, file);
  const out = tagged.text;
  const keys = tagged.entry.path;
  if (keys.length < 2) {
    if (digest === undefined) return tagged;
    throw new FileProblem(file, `pinDigest: the tag of "${service}" is a bare value (${keys.join('.')}), with no mapping to hold a ${DIGEST_KEY} beside it`, tagged.entry.line, `Write it as ${service}: {image: {tag, ${DIGEST_KEY}}} (and use the digest in the chart), or turn pinDigest off for this environment.`);
  }
  const { doc, lines } = parseDoc(out, file);
  let parent: YamlNode | undefined = doc.contents as YamlNode;
  for (const k of keys.slice(0, -1)) parent = child(parent, k);
  if (!isMap(parent)) throw new FileProblem(file, `internal check failed: the mapping holding the tag of "${service}" was not found; nothing was written`, tagged.entry.line);
  const tagPair = parent.items.find((p) => keyOf(p) === keys[keys.length - 1]);
  const digestIndex = parent.items.findIndex((p) => keyOf(p) === DIGEST_KEY);
  const digestPair = digestIndex >= 0 ? parent.items[digestIndex] : undefined;
  const at = (path: string): string => [...keys.slice(0, -1), path].join('.');
  let previousDigest: string | undefined;
  if (digestPair) {
    const v = digestPair.value as YamlNode | null;
    if (!isScalar(v) || v.range == null || (v.type !== Scalar.PLAIN && v.type !== Scalar.QUOTE_DOUBLE && v.type !== Scalar.QUOTE_SINGLE) || (v.value !== null && typeof v.value !== 'string')) {
      throw new FileProblem(file, `${at(DIGEST_KEY)} is not a plain or quoted value; nothing was written`, v?.range ? lines.linePos(v.range[0]).line : tagged.entry.line, `Write it as ${DIGEST_KEY}: "sha256:…" or remove it.`);
    }
    previousDigest = typeof v.value === 'string' ? v.value : undefined;
  }
  const tagNode = tagPair!.value as Scalar;
  const style = (tagNode.type ?? Scalar.PLAIN) as Scalar.Type;
  let result = out;
  if (digest !== undefined && digestPair) {
    const v = digestPair.value as Scalar;
    const [start, end] = v.range!;
    // An empty `digest:` has a zero-width value right after the colon: keep a space before the new one.
    const gap = v.value === null && out[start - 1] === ':' ? ' ' : '';
    result = out.slice(0, start) + gap + render(digest, v.value === null ? style : ((v.type ?? Scalar.PLAIN) as Scalar.Type)) + out.slice(end);
  } else if (digest !== undefined) {
    const valueEnd = tagNode.range![1];
    if (parent.flow) {
      result = out.slice(0, valueEnd) + `, ${DIGEST_KEY}: ${render(digest, style)}` + out.slice(valueEnd);
    } else {
      const keyStart = (tagPair!.key as YamlNode).range![0];
      const indent = ' '.repeat(keyStart - lineStart(out, keyStart));
      const end = lineEnd(out, valueEnd);
      const eol = out[end] === '\r' ? '\r\n' : '\n';
      result = out.slice(0, end) + `${eol}${indent}${DIGEST_KEY}: ${render(digest, style)}` + out.slice(end);
    }
  } else if (digestPair) {
    const keyStart = (digestPair.key as YamlNode).range![0];
    const valueEnd = (digestPair.value as Scalar).range![1];
    if (parent.flow) {
      const prev = parent.items[digestIndex - 1];
      const next = parent.items[digestIndex + 1];
      if (prev) result = out.slice(0, ((prev.value ?? prev.key) as YamlNode).range![1]) + out.slice(valueEnd);
      else if (next) result = out.slice(0, keyStart) + out.slice((next.key as YamlNode).range![0]);
      else result = out.slice(0, keyStart) + out.slice(valueEnd);
    } else {
      const start = lineStart(out, keyStart);
      if (out.slice(start, keyStart).trim() !== '') {
        throw new FileProblem(file, `${at(DIGEST_KEY)} does not start its line; remove it by hand (pinDigest is off for this environment)`, lines.linePos(keyStart).line);
      }
      const end = lineEnd(out, valueEnd);
      const after = out.indexOf('\n', end);
      result = out.slice(0, start) + out.slice(after < 0 ? out.length : after + 1);
    }
  }
  // Self-check: every tag as before but this one, and the digest beside it as asked.
  const before = collect(text, tagPath, file).entries;
  const { entries: afterTags, doc: afterDoc } = collect(result, tagPath, file);
  const mismatch = [...before.keys()].find((s) => (s === service ? afterTags.get(s)?.tag !== tag : afterTags.get(s)?.tag !== before.get(s)!.tag));
  let holder: unknown = afterDoc.contents;
  for (const k of keys.slice(0, -1)) holder = child(holder, k);
  const written = child(holder, DIGEST_KEY);
  const writtenDigest = isScalar(written) ? written.value : written;
  if (mismatch !== undefined || afterTags.size !== before.size || (digest === undefined ? written !== undefined : writtenDigest !== digest)) {
    throw new FileProblem(file, `internal check failed: setting the ${DIGEST_KEY} of "${service}" would change more than it; nothing was written`, tagged.entry.line);
  }
  return { ...tagged, text: result, ...(previousDigest !== undefined ? { previousDigest } : {}) };
}
