import ts from 'typescript';
import { sha256Hex, stableId } from '../core/index.ts';
import { type CboObject, standardTags } from '../kg/index.ts';
import { codeTokenText } from './tokens.ts';

/** A piece of a file that search indexes and returns: one symbol (or part of one), or one doc section. */
export interface Chunk {
  readonly id: string;
  readonly objectId: string | null;
  readonly path: string;
  readonly language: string;
  readonly kind: string;
  readonly symbol: string | null;
  readonly name: string | null;
  readonly signature: string | null;
  readonly startLine: number;
  readonly endLine: number;
  /** 0 for a whole symbol or section; 1..n for the parts of one that was too long. */
  readonly part: number;
  readonly content: string;
  readonly contentHash: string;
  readonly tags: readonly string[];
  /** Texts for the weighted keyword vector: A names, B signature, C prose (stemmed), D code words. */
  readonly keywords: { readonly a: string; readonly b: string; readonly c: string; readonly d: string };
}

export interface ChunkLimits {
  readonly maxLines: number;
  readonly maxChars: number;
}

export const DEFAULT_CHUNK_LIMITS: ChunkLimits = { maxLines: 80, maxChars: 4000 };

interface Piece {
  readonly startLine: number;
  readonly endLine: number;
  readonly text: string;
}

function chunkId(path: string, key: string, part: number): string {
  return stableId('chunk', path, key, String(part));
}

function tooLong(chars: number, lines: number, limits: ChunkLimits): boolean {
  return lines > limits.maxLines || chars > limits.maxChars;
}

/**
 * Splits lines [start, end] into pieces no longer than the limits, cutting only at the given
 * boundary lines (statement starts) when there are any, else at blank lines, else anywhere.
 */
function splitLines(
  lines: readonly string[],
  start: number,
  end: number,
  boundaries: readonly number[],
  limits: ChunkLimits,
): Piece[] {
  const cuts = new Set(boundaries.filter((b) => b > start && b <= end));
  if (cuts.size === 0) for (let l = start + 1; l <= end; l++) if (lines[l - 2]?.trim() === '') cuts.add(l);
  const pieces: Piece[] = [];
  const emit = (from: number, to: number) =>
    pieces.push({ startLine: from, endLine: to, text: lines.slice(from - 1, to).join('\n') });
  const size = (from: number, to: number) =>
    lines.slice(from - 1, to).reduce((n, line) => n + line.length + 1, 0);
  let from = start;
  let lastCut = start;
  let chars = size(start, start);
  for (let l = start + 1; l <= end; l++) {
    chars += (lines[l - 1]?.length ?? 0) + 1;
    if (cuts.has(l)) lastCut = l;
    if (!tooLong(chars, l - from + 1, limits)) continue;
    // Cut at the last statement boundary that fits; a single statement longer than the limit is cut
    // at twice the limit (text with no boundaries at all, at the limit) so no chunk grows unbounded.
    if (lastCut > from) {
      emit(from, lastCut - 1);
      from = lastCut;
      chars = size(from, l);
    } else if (cuts.size === 0 || l - from + 1 > limits.maxLines * 2 || chars > limits.maxChars * 2) {
      emit(from, l - 1);
      from = l;
      lastCut = l;
      chars = size(l, l);
    }
  }
  emit(from, end);
  return pieces;
}

/** Start lines of the statements (or class members) directly inside the declaration spanning [start, end]. */
function statementStarts(sf: ts.SourceFile, start: number, end: number): number[] {
  const line = (pos: number) => sf.getLineAndCharacterOfPosition(pos).line + 1;
  let found: ts.Node | undefined;
  const visit = (node: ts.Node): void => {
    if (found) return;
    const s = line(node.getStart(sf));
    const e = line(node.end);
    if (s > end || e < start) return;
    if (
      s === start &&
      e === end &&
      (ts.isFunctionLike(node) || ts.isClassLike(node) || ts.isVariableStatement(node))
    ) {
      found = node;
      return;
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  if (!found) return [];
  let body: ts.Node | undefined = found;
  if (ts.isVariableStatement(found)) body = found.declarationList.declarations[0]?.initializer;
  while (body && (ts.isParenthesizedExpression(body) || ts.isAsExpression(body))) body = body.expression;
  if (body && ts.isClassLike(body)) return body.members.map((m) => line(m.getStart(sf)));
  const block =
    body && ts.isFunctionLike(body) && 'body' in body ? (body.body as ts.Node | undefined) : undefined;
  if (block && ts.isBlock(block)) return block.statements.map((s) => line(s.getStart(sf)));
  return [];
}

/**
 * Cuts kept lines (in order, not necessarily adjacent) into pieces within the limits, preferring to
 * cut where something else (a declaration, blank lines) sits between two kept lines.
 */
function pieceKeptLines(lines: readonly string[], kept: readonly number[], limits: ChunkLimits): Piece[] {
  const pieces: Piece[] = [];
  let current: number[] = [];
  let chars = 0;
  const emit = (taken: number[]) => {
    if (taken.length === 0) return;
    const text = taken.map((l) => lines[l - 1] ?? '').join('\n');
    pieces.push({ startLine: taken[0]!, endLine: taken.at(-1)!, text });
  };
  for (const l of kept) {
    const size = (lines[l - 1]?.length ?? 0) + 1;
    if (current.length > 0 && tooLong(chars + size, current.length + 1, limits)) {
      // The last gap inside the piece, when it leaves the piece at least half full.
      let cut = current.length;
      for (let i = current.length - 1; i >= Math.ceil(current.length / 2); i--) {
        if (current[i]! - current[i - 1]! > 1) {
          cut = i;
          break;
        }
      }
      emit(current.slice(0, cut));
      current = current.slice(cut);
      chars = current.reduce((n, k) => n + (lines[k - 1]?.length ?? 0) + 1, 0);
    }
    current.push(l);
    chars += size;
  }
  emit(current);
  return pieces;
}

/**
 * The first line of the comments directly above a declaration (a JSDoc block, `//` lines), so a
 * declaration's chunk carries its doc comment; never before `floor`.
 */
function leadingCommentStart(lines: readonly string[], start: number, floor: number): number {
  let s = start;
  for (;;) {
    const above = (lines[s - 2] ?? '').trim();
    if (s - 1 < floor || above === '') return s;
    if (above.startsWith('//')) {
      s--;
      continue;
    }
    if (!above.endsWith('*/')) return s;
    let top = s - 1;
    while (top >= floor && !(lines[top - 1] ?? '').includes('/*')) top--;
    if (top < floor || !(lines[top - 1] ?? '').trim().startsWith('/*')) return s;
    s = top;
  }
}

/** Kinds whose chunk is an outline when they contain other objects: members' bodies are theirs. */
const CONTAINER_KINDS = new Set(['class', 'namespace', 'variable']);

interface Placed {
  readonly object: CboObject;
  /** The chunk's first line: the object's, or its doc comment's. */
  readonly from: number;
  readonly members: readonly CboObject[];
}

function objectChunks(
  { object: o, from, members }: Placed,
  lines: readonly string[],
  sf: () => ts.SourceFile,
  limits: ChunkLimits,
): Chunk[] {
  const start = o.start_line!;
  const end = o.end_line!;
  const base = {
    objectId: o.id,
    path: o.file_path!,
    language: o.metadata.language,
    kind: o.kind,
    symbol: o.qualified_name,
    name: o.name,
    signature: o.signature,
    tags: o.metadata.tags,
  };
  // A part that starts above the declaration holds its doc comment already: its words count once.
  const keywords = (body: string, holdsDoc: boolean) => ({
    a: codeTokenText(`${o.qualified_name}`),
    b: codeTokenText(o.signature),
    c: o.doc ?? '',
    d: codeTokenText(holdsDoc ? body : `${o.doc ?? ''}\n${body}`),
  });
  let pieces: Piece[];
  if (members.length > 0) {
    // An outline: members' bodies belong to their own chunks, one line each here; blank lines
    // would only hollow out its parts.
    // The first line of the outermost member over each line (members come outermost first).
    const memberStart = new Int32Array(end + 2);
    for (const m of members)
      for (let l = m.start_line!; l <= m.end_line!; l++)
        if (memberStart[l] === 0) memberStart[l] = m.start_line!;
    const kept: number[] = [];
    for (let l = from; l <= end; l++) {
      if (l !== start && (lines[l - 1] ?? '').trim() === '') continue;
      if (memberStart[l] === 0 || memberStart[l] === l) kept.push(l);
    }
    pieces = pieceKeptLines(lines, kept, limits);
  } else {
    const text = lines.slice(from - 1, end).join('\n');
    pieces = tooLong(text.length, end - from + 1, limits)
      ? splitLines(lines, from, end, statementStarts(sf(), start, end), limits)
      : [{ startLine: from, endLine: end, text }];
  }
  return pieces.map((p, i) => {
    const part = pieces.length === 1 ? 0 : i + 1;
    // Every part of a long body repeats the signature, so each can be understood (and found) alone.
    const content = part > 1 ? `${o.signature} …\n${p.text}` : p.text;
    return {
      ...base,
      id: chunkId(base.path, o.id, part),
      startLine: p.startLine,
      endLine: p.endLine,
      part,
      content,
      contentHash: sha256Hex(content),
      keywords: keywords(content, p.startLine < start),
    };
  });
}

/**
 * The module's chunks: the file's doc, imports and all top-level code that belongs to no
 * declaration, in pieces within the limits; the first names the module and its exports.
 */
function moduleChunks(
  m: CboObject,
  lines: readonly string[],
  topLevel: readonly Placed[],
  limits: ChunkLimits,
): Chunk[] {
  const held = new Uint8Array(lines.length + 2);
  for (const d of topLevel) held.fill(1, d.from, Math.min(d.object.end_line!, lines.length) + 1);
  const kept: number[] = [];
  for (let l = 1; l <= lines.length; l++) {
    if ((lines[l - 1] ?? '').trim() === '' || held[l] === 1) continue;
    kept.push(l);
  }
  const exports = (m.metadata.exports as string[] | undefined) ?? [];
  if (kept.length === 0 && exports.length === 0) return [];
  const header = `// module ${m.file_path}${exports.length > 0 ? ` exports ${exports.join(', ')}` : ''}`;
  const pieces =
    kept.length > 0 ? pieceKeptLines(lines, kept, limits) : [{ startLine: 1, endLine: 1, text: '' }];
  return pieces.map((p, i) => {
    const part = pieces.length === 1 ? 0 : i + 1;
    const content =
      i === 0 ? (p.text ? `${header}\n${p.text}` : header) : `// module ${m.file_path} …\n${p.text}`;
    return {
      id: chunkId(m.file_path!, m.id, part),
      objectId: m.id,
      path: m.file_path!,
      language: m.metadata.language,
      kind: 'module',
      symbol: m.qualified_name,
      name: m.name,
      signature: m.signature,
      startLine: p.startLine,
      endLine: p.endLine,
      part,
      content,
      contentHash: sha256Hex(content),
      tags: m.metadata.tags,
      keywords: {
        a: codeTokenText(m.qualified_name),
        b: codeTokenText(exports.join(' ')),
        c: m.doc ?? '',
        d: codeTokenText(content),
      },
    };
  });
}

/** Strictly inside: the names of one destructuring pattern share a span and are not inside each other. */
function inside(inner: CboObject, outer: CboObject): boolean {
  return (
    outer.start_line! <= inner.start_line! &&
    inner.end_line! <= outer.end_line! &&
    (outer.start_line !== inner.start_line || outer.end_line !== inner.end_line)
  );
}

/**
 * Cuts a code file into chunks along the knowledge graph's symbols, so that every line of it is in
 * some chunk: one per function, method, variable, interface and type, with its doc comment; a class,
 * namespace or object literal with methods as its outline; the module's own top-level code in
 * pieces; long bodies split at statement boundaries with the signature repeated. Enum members stay
 * in their enum's chunk.
 */
export function chunkCode(
  path: string,
  text: string,
  objects: readonly CboObject[],
  limits: ChunkLimits = DEFAULT_CHUNK_LIMITS,
): Chunk[] {
  const lines = text.split('\n');
  let parsed: ts.SourceFile | undefined;
  const sf = () => (parsed ??= ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true));
  const inFile = objects.filter((o) => o.file_path === path && o.start_line !== null && o.end_line !== null);
  const module = inFile.find((o) => o.kind === 'module');
  const declarations = inFile
    .filter((o) => o.kind !== 'module' && o.metadata.binding !== 'enum_member')
    .sort((a, b) => a.start_line! - b.start_line! || b.end_line! - a.end_line!);
  const placed: Placed[] = [];
  declarations.forEach((o, i) => {
    // A doc comment above a declaration, but not into the one before it (or its container's header).
    let floor = 1;
    let container: CboObject | undefined;
    for (let j = 0; j < i; j++) {
      const d = declarations[j]!;
      if (d.end_line! < o.start_line!) floor = Math.max(floor, d.end_line! + 1);
      else if (inside(o, d)) container = d;
    }
    if (container) floor = Math.max(floor, container.start_line! + 1);
    const members = CONTAINER_KINDS.has(o.kind) ? declarations.filter((d) => inside(d, o)) : [];
    placed.push({ object: o, from: leadingCommentStart(lines, o.start_line!, floor), members });
  });
  const chunks: Chunk[] = [];
  if (module) {
    const topLevel = placed.filter((p) => !declarations.some((o) => inside(p.object, o)));
    chunks.push(...moduleChunks(module, lines, topLevel, limits));
  }
  for (const p of placed) chunks.push(...objectChunks(p, lines, sf, limits));
  return chunks;
}

const HEADING = /^(#{1,6})\s+(.+?)\s*#*\s*$/;
const FENCE = /^\s*(```|~~~)/;

/**
 * Cuts a markdown document at its headings: one chunk per section, named by its heading path
 * (`Guide > Install > From npm`); long sections split at blank lines.
 */
export function chunkMarkdown(
  path: string,
  text: string,
  limits: ChunkLimits = DEFAULT_CHUNK_LIMITS,
): Chunk[] {
  const lines = text.split('\n');
  const sections: Array<{ trail: string[]; start: number; end: number }> = [];
  const trail: string[] = [];
  let inFence = false;
  let current = { trail: [] as string[], start: 1, end: 0 };
  for (let l = 1; l <= lines.length; l++) {
    const line = lines[l - 1] ?? '';
    if (FENCE.test(line)) inFence = !inFence;
    const heading = inFence ? null : HEADING.exec(line);
    if (heading) {
      if (current.end >= current.start) sections.push(current);
      const level = heading[1]!.length;
      trail.length = level - 1;
      trail[level - 1] = heading[2]!;
      current = { trail: trail.filter((t) => t !== undefined), start: l, end: l };
    } else {
      current.end = l;
    }
  }
  if (current.end >= current.start) sections.push(current);
  const seen = new Map<string, number>();
  const chunks: Chunk[] = [];
  for (const s of sections) {
    while (s.end > s.start && (lines[s.end - 1] ?? '').trim() === '') s.end--;
    const body = lines.slice(s.start - 1, s.end).join('\n');
    // A heading straight followed by its first subheading says nothing of its own.
    const ownText = lines.slice(s.start - 1 + (s.trail.length > 0 ? 1 : 0), s.end).join('\n');
    if (ownText.trim() === '') continue;
    const symbol = s.trail.join(' > ') || path;
    const name = s.trail.at(-1) ?? path;
    const occurrence = seen.get(symbol) ?? 0;
    seen.set(symbol, occurrence + 1);
    const key = `${symbol}#${occurrence}`;
    const pieces = tooLong(body.length, s.end - s.start + 1, limits)
      ? splitLines(lines, s.start, s.end, [], limits)
      : [{ startLine: s.start, endLine: s.end, text: body }];
    pieces.forEach((p, i) => {
      const part = pieces.length === 1 ? 0 : i + 1;
      const content = part > 1 ? `${symbol} …\n${p.text}` : p.text;
      chunks.push({
        id: chunkId(path, key, part),
        objectId: null,
        path,
        language: 'md',
        kind: 'doc',
        symbol,
        name,
        signature: null,
        startLine: p.startLine,
        endLine: p.endLine,
        part,
        content,
        contentHash: sha256Hex(content),
        // Headings are prose: their words are keywords, not `name:` tags.
        tags: standardTags({ language: 'md', kind: 'doc', path }),
        keywords: { a: codeTokenText(symbol), b: '', c: content, d: codeTokenText(content) },
      });
    });
  }
  return chunks;
}
