import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { sha256Hex } from '../core/index.ts';
import type { Db } from '../db/index.ts';

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
 * that very text at its place: content lines are matched in order against the file's lines inside
 * the chunk's span (lines a chunk adds, such as a repeated signature, match nothing), so a chunk
 * whose span covers a line it left out does not cover it.
 */
export function fileLineCoverage(text: string, chunks: readonly ChunkText[]): FileLineCoverage {
  const lines = text.split('\n');
  const held = new Set<number>();
  for (const c of chunks) {
    let next = c.startLine;
    for (const line of c.content.split('\n')) {
      let j = next;
      while (j <= c.endLine && lines[j - 1] !== line) j++;
      if (j > c.endLine) continue;
      held.add(j);
      next = j + 1;
    }
  }
  const uncovered: number[] = [];
  let total = 0;
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    total++;
    if (!held.has(i + 1)) uncovered.push(i + 1);
  });
  return { lines: total, covered: total - uncovered.length, uncovered };
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
    let text: string;
    try {
      const bytes = readFileSync(join(base, f.path));
      if (sha256Hex(bytes) !== f.content_hash) throw new Error('changed since indexed');
      text = bytes.toString('utf8');
    } catch {
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
