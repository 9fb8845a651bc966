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
