import type { Citation } from './contract.ts';
import { ChatError } from './errors.ts';
import type { EvidenceItem } from './evidence.ts';
import type { RepoReader } from './repo-files.ts';

export const CITATION_FAILURES = [
  'NOT_IN_EVIDENCE',
  'LINES_NOT_IN_EVIDENCE',
  'OBJECT_MISMATCH',
  'PATH_OUTSIDE_REPO',
  'FILE_UNREADABLE',
  'LINES_DO_NOT_EXIST',
  'FILE_CHANGED',
] as const;
export type CitationFailure = (typeof CITATION_FAILURES)[number];

export interface RejectedCitation {
  readonly citation: Citation;
  readonly reason: CitationFailure;
  readonly message: string;
}

export interface CitationCheck {
  readonly valid: readonly Citation[];
  readonly rejected: readonly RejectedCitation[];
}

/**
 * Verifies citations against the evidence gathered for the answer and the repository as it is now:
 * each must lie inside one evidence item's lines (of the same object, when it names one), the lines
 * must exist, and the file's content hash must equal the indexed one. Nothing is taken on trust
 * from the answerer.
 */
export async function verifyCitations(
  citations: readonly Citation[],
  evidence: readonly EvidenceItem[],
  reader: RepoReader,
): Promise<CitationCheck> {
  const valid: Citation[] = [];
  const rejected: RejectedCitation[] = [];
  const reject = (citation: Citation, reason: CitationFailure, message: string) =>
    rejected.push({ citation, reason, message });
  for (const c of citations) {
    const where = `${c.path}:${c.start_line}-${c.end_line}`;
    const samePath = evidence.filter((e) => e.path === c.path);
    if (samePath.length === 0) {
      reject(c, 'NOT_IN_EVIDENCE', `${where}: no evidence was gathered from ${c.path}`);
      continue;
    }
    const covering = samePath.filter((e) => e.startLine <= c.start_line && c.end_line <= e.endLine);
    if (covering.length === 0) {
      const spans = samePath.map((e) => `${e.startLine}-${e.endLine}`).join(', ');
      reject(c, 'LINES_NOT_IN_EVIDENCE', `${where}: the evidence from ${c.path} covers lines ${spans} only`);
      continue;
    }
    const item = c.object_id === null ? covering[0]! : covering.find((e) => e.objectId === c.object_id);
    if (!item) {
      reject(
        c,
        'OBJECT_MISMATCH',
        `${where}: object ${c.object_id} is not the object of the evidence at those lines`,
      );
      continue;
    }
    let file: Awaited<ReturnType<RepoReader['read']>>;
    try {
      file = await reader.read(c.path);
    } catch (error) {
      const code =
        error instanceof ChatError && error.code === 'PATH_OUTSIDE_REPO'
          ? 'PATH_OUTSIDE_REPO'
          : 'FILE_UNREADABLE';
      reject(c, code, `${where}: ${error instanceof Error ? error.message : String(error)}`);
      continue;
    }
    if (c.end_line > file.lines.length) {
      reject(c, 'LINES_DO_NOT_EXIST', `${where}: ${c.path} has ${file.lines.length} lines`);
      continue;
    }
    if (file.contentHash !== item.contentHash) {
      reject(c, 'FILE_CHANGED', `${where}: ${c.path} changed since it was indexed`);
      continue;
    }
    valid.push(c);
  }
  return { valid, rejected };
}
