import { resolve } from 'node:path';
import type { Db } from '../db/index.ts';
import { readIndexedFile } from '../kg/index.ts';

/** The text a chunk holds and where it says it comes from. */
export interface ChunkText {
  readonly startLine: number;
  readonly endLine: number;
  readonly content: string;
}

export interface FileLineCoverage {
  /** Non-blank lines of the file. */
  readonly lines: number;
  readonly covered: number;
  /** Line numbers (1-based) of non-blank lines no chunk holds. */
  readonly uncovered: number[];
}

/**
 * Which non-blank lines of a file the chunks hold. A line counts only when a chunk's content has
 * that very text at its place: a chunk whose content is its span's lines (after a repeated
 * signature) holds them all; the content of any other chunk (an outline, a module part) is aligned
 * in order with the file's lines inside its span (narrow spans first, `alignContent`). Lines a
 * chunk adds match nothing, and a span stretched over a line the chunk left out does not cover it.
 */
export function fileLineCoverage(text: string, chunks: readonly ChunkText[]): FileLineCoverage {
  const lines = text.split('\n');
  const held = new Set<number>();
  const partial: ChunkText[] = [];
  for (const c of chunks) {
    const slice = lines.slice(c.startLine - 1, c.endLine).join('\n');
    if (c.content === slice || c.content.endsWith(`\n${slice}`)) {
      for (let l = c.startLine; l <= c.endLine; l++) held.add(l);
    } else partial.push(c);
  }
  // Narrow spans first: an outline's lines before those of a module part that spans it.
  const bySpan = [...partial].sort((a, b) => a.endLine - a.startLine - (b.endLine - b.startLine));
  for (const c of bySpan) for (const l of alignContent(lines, c, held)) held.add(l);
  const uncovered: number[] = [];
  let total = 0;
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    total++;
    if (!held.has(i + 1)) uncovered.push(i + 1);
  });
  return { lines: total, covered: total - uncovered.length, uncovered };
}

/**
 * The file lines a chunk's content lines stand at: an order-preserving matching of content lines to
 * equal file lines inside the span (a longest common subsequence), weighted to prefer lines no chunk
 * holds yet, so that a repeated text (`/**`, `}`) is not credited to a line another chunk holds
 * while its own line stays uncovered.
 */
function alignContent(lines: readonly string[], c: ChunkText, held: ReadonlySet<number>): number[] {
  const content = c.content.split('\n');
  const m = content.length;
  const n = c.endLine - c.startLine + 1;
  // dir: 1 = match, 2 = skip a content line, 3 = skip a file line.
  const dir = new Uint8Array((m + 1) * (n + 1));
  let prev = new Int32Array(n + 1);
  let row = new Int32Array(n + 1);
  for (let i = 1; i <= m; i++) {
    row[0] = 0;
    dir[i * (n + 1)] = 2;
    for (let j = 1; j <= n; j++) {
      let best = prev[j]!;
      let d = 2;
      if (row[j - 1]! > best) {
        best = row[j - 1]!;
        d = 3;
      }
      const line = c.startLine + j - 1;
      if (lines[line - 1] === content[i - 1]) {
        const matched = prev[j - 1]! + (held.has(line) ? 1 : 2);
        if (matched > best) {
          best = matched;
          d = 1;
        }
      }
      row[j] = best;
      dir[i * (n + 1) + j] = d;
    }
    [prev, row] = [row, prev];
  }
  const out: number[] = [];
  for (let i = m, j = n; i > 0 && j > 0; ) {
    const d = dir[i * (n + 1) + j];
    if (d === 1) {
      out.push(c.startLine + j - 1);
      i--;
      j--;
    } else if (d === 2) i--;
    else j--;
  }
  return out;
}

/** Chunk line coverage over every indexed code file. */
export interface ChunkCoverage {
  readonly numerator: number;
  readonly denominator: number;
  /** 0-100, or null when there is nothing to measure. */
  readonly percent: number | null;
  readonly files: number;
  /** Files that changed on disk since they were indexed, or are gone: not measured. */
  readonly unreadable: string[];
  /** Up to 20 uncovered lines, for a reader to look at. */
  readonly samples: Array<{ readonly path: string; readonly line: number; readonly text: string }>;
}

const MAX_SAMPLES = 20;

/**
 * The share of the non-blank source lines of the indexed code files (`kg_files`, as they are on
 * disk under `root`) that some search chunk holds.
 */
export async function computeChunkCoverage(db: Db, root: string): Promise<ChunkCoverage> {
  const base = resolve(root);
  const { rows: files } = await db.query<{ path: string; content_hash: string }>(
    "select path, content_hash from kg_files where status = 'indexed' order by path",
  );
  let numerator = 0;
  let denominator = 0;
  const unreadable: string[] = [];
  const samples: ChunkCoverage['samples'] = [];
  for (const f of files) {
    const text = readIndexedFile(base, f.path, f.content_hash);
    if (text === undefined) {
      unreadable.push(f.path);
      continue;
    }
    const { rows } = await db.query<{ start_line: number; end_line: number; content: string }>(
      'select start_line, end_line, content from search_chunks where path = $1',
      [f.path],
    );
    const cov = fileLineCoverage(
      text,
      rows.map((r) => ({ startLine: r.start_line, endLine: r.end_line, content: r.content })),
    );
    numerator += cov.covered;
    denominator += cov.lines;
    const lines = text.split('\n');
    for (const line of cov.uncovered.slice(0, MAX_SAMPLES - samples.length))
      samples.push({ path: f.path, line, text: (lines[line - 1] ?? '').trim().slice(0, 120) });
  }
  return {
    numerator,
    denominator,
    percent: denominator === 0 ? null : Math.floor((numerator / denominator) * 10_000) / 100,
    files: files.length - unreadable.length,
    unreadable,
    samples,
  };
}
