/**
 * Evidence gathering (the seed's evidence policy): entry symbols from the question (named
 * definitions, else hybrid search), then what the graph says about them, in priority order
 * schema > contains > local_file > calls > imports > graph, within a token budget. Every item is
 * one file's lines with the object they belong to and the indexed file's content hash.
 */
import type { Db } from '../db/index.ts';
import { type CboObject, indexedFileHashes, loadObjects, type RelationKind } from '../kg/index.ts';
import {
  chunkFileHashes,
  DEFAULT_LANGUAGES,
  documentFrequencies,
  type Embedder,
  type SearchHit,
  searchCode,
} from '../search/index.ts';
import { ChatError } from './errors.ts';
import { type Candidate, located, numbered, objectFields, schemaCandidate } from './evidence-candidates.ts';
import { gatherMembers, gatherRelations } from './evidence-relations.ts';
import { type ClassifiedQuestion, classifyQuestion } from './question.ts';
import { createRepoReader, type RepoReader } from './repo-files.ts';
import { MAX_SUBJECTS, resolveMentions, resolveSubjects, type SubjectName } from './subjects.ts';

/** Evidence kinds in policy order: earlier kinds are kept first when the budget runs out. */
export const EVIDENCE_KINDS = ['schema', 'contains', 'local_file', 'calls', 'imports', 'graph'] as const;
export type EvidenceKind = (typeof EVIDENCE_KINDS)[number];

/** How an item relates to the entry symbol it was gathered for. */
export interface EvidenceRelation {
  readonly kind: RelationKind | 'impact';
  /** `in`: the item's object points at the subject (a caller); `out`: the subject points at it. */
  readonly direction: 'in' | 'out';
  readonly subjectId: string;
  /** Hops from the subject (impact walks more than one). */
  readonly depth: number;
  /** The object at the relation's other end from the subject. */
  readonly other: { readonly kind: string; readonly symbol: string; readonly external: boolean };
}

export interface EvidenceItem {
  /** `E1`, `E2`, ... in the order gathered; what `evidence_used` lists. */
  readonly id: string;
  readonly kind: EvidenceKind;
  /** The CBO object the lines belong to; null for a docs chunk. */
  readonly objectId: string | null;
  readonly objectKind: string | null;
  /** The object's qualified name. */
  readonly symbol: string | null;
  readonly signature: string | null;
  readonly path: string;
  readonly startLine: number;
  readonly endLine: number;
  /** SHA-256 of the file as indexed (`kg_files.content_hash`). */
  readonly contentHash: string;
  /** One line: what this is. */
  readonly title: string;
  /** What the answerer reads: a declaration record, a member list, or the numbered source lines. */
  readonly text: string;
  readonly relation?: EvidenceRelation;
  /** `contains` items: the container's members. */
  readonly members?: readonly EvidenceMember[];
}

export interface EvidenceMember {
  readonly kind: string;
  readonly name: string;
  readonly exported: boolean;
  readonly startLine: number;
  readonly endLine: number;
  readonly signature: string;
}

/**
 * How many objects (or relations) the graph holds around an entry for one relation, counted over the
 * whole graph, and how many of them were gathered: evidence lists are capped, totals are not.
 */
export interface EvidenceTotal {
  /** The entry counted around (a subject, a search entry, or an entry's container). */
  readonly subjectId: string;
  /** The relation kinds counted, as the items carry them (`impact` for the impact walk). */
  readonly kinds: readonly EvidenceRelation['kind'][];
  readonly direction: 'in' | 'out';
  /** Hops counted: 1, or the walk's depth (implementations 10, impact 3). */
  readonly depth: number;
  /**
   * The question's own walk: the objects it reaches, counted as `cogo graph` counts them; one hop of
   * context: the relations; `contains`: the members.
   */
  readonly total: number;
  /** How many became candidates (the first in the graph's order); the token budget may keep fewer. */
  readonly gathered: number;
  /** `contains`: the members by kind, and how many of each are exported. */
  readonly members?: ReadonlyArray<{
    readonly kind: string;
    readonly total: number;
    readonly exported: number;
  }>;
}

export interface EvidenceSet {
  readonly question: string;
  readonly classified: ClassifiedQuestion;
  /** The definitions the question names (structural questions). */
  readonly subjects: readonly CboObject[];
  /** The names the subjects were resolved from, with how many definitions each has. */
  readonly names: readonly SubjectName[];
  /** The objects evidence was gathered around: the subjects, or the top search hits. */
  readonly entries: readonly CboObject[];
  /** Of the identifiers `alsoAbout` names: the definitions found, and the names not in the index. */
  readonly mentioned: { readonly found: readonly CboObject[]; readonly missing: readonly string[] };
  readonly items: readonly EvidenceItem[];
  /** What the graph holds around the entries, counted in full (the items show the first of each list). */
  readonly totals: readonly EvidenceTotal[];
  readonly tokens: number;
  readonly budgetTokens: number;
  /** Candidates the budget left out. */
  readonly dropped: number;
  /** Files not read, and why (changed since indexing, outside the repository, unreadable). */
  readonly skipped: ReadonlyArray<{ readonly path: string; readonly reason: string }>;
  /** The question's content words that no evidence contains (for declining open questions). */
  readonly uncoveredWords: readonly string[];
  readonly contentWords: readonly string[];
  /**
   * The share of the question's content words the evidence has (0..1); for an open question each
   * word weighs by its rarity (IDF), for others all weigh the same.
   */
  readonly coverage: number;
}

export interface GatherOptions {
  /** The repository root: `local_file` evidence is read from here, never from outside it. */
  readonly root: string;
  readonly reader?: RepoReader;
  readonly embedder?: Embedder;
  /** The in-process vector scan's budget on a server without pgvector (COGO_VECTOR_MEMORY_MB). */
  readonly vectorMemoryBytes?: number;
  /** Default `ts`, `py`. */
  readonly languages?: readonly string[];
  readonly budgetTokens?: number;
  /** Entry symbols taken from search for an open question. */
  readonly maxEntries?: number;
  /**
   * More text the evidence must cover (a user's correction): the identifiers it writes in code form
   * are looked up and become entries after the question's own.
   */
  readonly alsoAbout?: string;
}

export const DEFAULT_EVIDENCE_BUDGET_TOKENS = 6000;
const DEFAULT_MAX_ENTRIES = MAX_SUBJECTS;
// Source lines quoted per object; a longer body is quoted from its start.
const MAX_QUOTED_LINES = 60;

/** Rough token count of a text (four characters a token). */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

// Words that carry no content in a question about code.
const QUESTION_STOP_WORDS = new Set(
  (
    'a an and are as at be by can cogo code do does for from how i in is it its of on or the this that to what ' +
    'when where which who why with would should could will there their them they we you your me my our use used ' +
    'uses using work works get gets make makes happen happens into about than then so if any all each file files ' +
    'function functions method methods class classes module modules type types repository repo project defined'
  ).split(' '),
);

/** The question's content words: lowercased words of 3+ letters that are not question filler. */
export function contentWords(question: string): string[] {
  const words = question.toLowerCase().match(/[a-z][a-z0-9_]+/g) ?? [];
  return [...new Set(words.filter((w) => w.length >= 3 && !QUESTION_STOP_WORDS.has(w)))];
}

function stem(word: string): string {
  return word.replace(/(ies|es|s|ed|ing|er|ers)$/, '');
}

/**
 * Gathers the evidence for a question. Never throws for one unreadable or changed file: it is
 * left out and listed in `skipped`.
 *
 * @example
 * const evidence = await gatherEvidence(db, 'Who calls loadConfig?', { root: '/repo', embedder });
 */
export async function gatherEvidence(db: Db, question: string, options: GatherOptions): Promise<EvidenceSet> {
  const languages = options.languages ?? DEFAULT_LANGUAGES;
  const reader = options.reader ?? createRepoReader(options.root);
  const budget = options.budgetTokens ?? DEFAULT_EVIDENCE_BUDGET_TOKENS;
  const { classified, subjects, names } = await resolveSubjects(
    db,
    question,
    classifyQuestion(question),
    languages,
  );

  let entries: CboObject[] = subjects;
  let docHits: SearchHit[] = [];
  if (subjects.length === 0) {
    const result = await searchCode(db, question, {
      limit: (options.maxEntries ?? DEFAULT_MAX_ENTRIES) + 3,
      languages: [...languages, 'md'],
      ...(options.embedder ? { embedder: options.embedder } : {}),
      ...(options.vectorMemoryBytes !== undefined ? { vectorMemoryBytes: options.vectorMemoryBytes } : {}),
    });
    const objectIds = [...new Set(result.hits.flatMap((h) => (h.objectId ? [h.objectId] : [])))];
    entries = (await loadObjects(db, objectIds)).slice(0, options.maxEntries ?? DEFAULT_MAX_ENTRIES);
    docHits = result.hits.filter((h) => !h.objectId).slice(0, 2);
  }
  const mentioned = await resolveMentions(db, options.alsoAbout, languages);
  const known = new Set(entries.map((e) => e.id));
  entries = [...entries, ...mentioned.found.filter((o) => !known.has(o.id))];

  const locatedEntries = entries.filter(located);
  const ids = locatedEntries.map((o) => o.id);
  const candidates: Candidate[] = locatedEntries.map((o, rank) => schemaCandidate(o, rank));
  // contains, calls, imports, graph: what the graph holds around the entries, with its totals.
  const [members, relations] = await Promise.all([
    gatherMembers(db, locatedEntries, classified),
    gatherRelations(db, locatedEntries, new Set(subjects.map((s) => s.id)), classified),
  ]);
  candidates.push(...members.candidates);

  // local_file: the entries' own lines, read now.
  for (const o of locatedEntries) {
    const end = Math.min(o.end_line, o.start_line + MAX_QUOTED_LINES - 1);
    candidates.push({
      kind: 'local_file',
      ...objectFields(o),
      path: o.file_path,
      startLine: o.start_line,
      endLine: end,
      title: `source of ${o.kind} ${o.qualified_name}`,
      text: '',
      rank: ids.indexOf(o.id),
    });
  }
  for (const h of docHits)
    candidates.push({
      kind: 'local_file',
      objectId: null,
      objectKind: null,
      symbol: null,
      signature: null,
      path: h.path,
      startLine: h.startLine,
      endLine: Math.min(h.endLine, h.startLine + MAX_QUOTED_LINES - 1),
      title: `${h.path} (${h.name ?? 'docs'})`,
      text: '',
      rank: locatedEntries.length,
    });
  candidates.push(...relations.candidates);

  const set = await selectWithinBudget(
    db,
    question,
    classified,
    subjects,
    entries,
    candidates,
    reader,
    budget,
  );
  return { ...set, names, mentioned, totals: [...members.totals, ...relations.totals] };
}

async function selectWithinBudget(
  db: Db,
  question: string,
  classified: ClassifiedQuestion,
  subjects: readonly CboObject[],
  entries: readonly CboObject[],
  candidates: Candidate[],
  reader: RepoReader,
  budget: number,
): Promise<Omit<EvidenceSet, 'mentioned' | 'names' | 'totals'>> {
  const order = (k: EvidenceKind) => EVIDENCE_KINDS.indexOf(k);
  const sorted = candidates
    .map((c, seq) => ({ c, seq }))
    .sort((a, b) => order(a.c.kind) - order(b.c.kind) || a.c.rank - b.c.rank || a.seq - b.seq)
    .map((x) => x.c);
  const paths = [...new Set(sorted.map((c) => c.path))];
  const hashes = await indexedFileHashes(db, paths);
  const missing = paths.filter((p) => !hashes.has(p));
  if (missing.length > 0) for (const [p, h] of await chunkFileHashes(db, missing)) hashes.set(p, h);

  const items: EvidenceItem[] = [];
  const skipped = new Map<string, string>();
  const seen = new Set<string>();
  let tokens = 0;
  let dropped = 0;
  for (const c of sorted) {
    // A relation's two ends too: two callees first called on one line are two items, and so is
    // one line that relates an object to two subjects.
    const ends = c.relation ? `${c.relation.subjectId}:${c.relation.other.symbol}` : '';
    const key = `${c.kind}:${c.path}:${c.startLine}-${c.endLine}:${c.relation?.kind ?? ''}:${c.objectId}:${ends}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const indexedHash = hashes.get(c.path);
    if (!indexedHash) {
      skipped.set(c.path, 'not in the index');
      continue;
    }
    let text = c.text;
    if (c.kind === 'local_file' || c.kind === 'calls' || c.kind === 'imports' || c.kind === 'graph') {
      // Quote the lines as they are now, and only from a file that is still what was indexed.
      let file: Awaited<ReturnType<RepoReader['read']>>;
      try {
        file = await reader.read(c.path);
      } catch (error) {
        skipped.set(c.path, error instanceof ChatError ? `${error.code}: ${error.message}` : String(error));
        continue;
      }
      if (file.contentHash !== indexedHash) {
        skipped.set(c.path, 'FILE_CHANGED: the file changed since it was indexed (run cogo index)');
        continue;
      }
      if (c.endLine > file.lines.length) {
        skipped.set(c.path, `LINES_DO_NOT_EXIST: the file has ${file.lines.length} lines`);
        continue;
      }
      const quoted = numbered(file.lines.slice(c.startLine - 1, c.endLine), c.startLine);
      text = c.kind === 'local_file' ? quoted : `${c.text}\n${quoted}`;
    }
    const t = estimateTokens(text) + estimateTokens(c.title) + 8;
    if (tokens + t > budget) {
      dropped++;
      continue;
    }
    tokens += t;
    const { rank: _rank, ...rest } = c;
    items.push({ ...rest, text, id: `E${items.length + 1}`, contentHash: indexedHash });
  }

  const words = contentWords(question);
  const haystack = items
    .map((i) => `${i.symbol ?? ''} ${i.signature ?? ''} ${i.path} ${i.text}`)
    .join('\n')
    .toLowerCase();
  const uncovered = words.filter((w) => !haystack.includes(stem(w)));
  // Each word weighs by its rarity in the index (IDF): a question whose rare words the evidence
  // lacks is not answered by it, however many common words it shares. Only an open question is
  // judged by it (a structural one is answered or declined by its subject), so only it pays the query.
  const { chunks, df } =
    classified.intent === 'open' && uncovered.length > 0
      ? await documentFrequencies(db, words)
      : { chunks: 0, df: new Map<string, number>() };
  const weight = (w: string) => Math.log(1 + (chunks + 1) / ((df.get(w) ?? 0) + 0.5));
  const total = words.reduce((n, w) => n + weight(w), 0);
  const missed = uncovered.reduce((n, w) => n + weight(w), 0);
  return {
    question,
    classified,
    subjects,
    entries,
    items,
    tokens,
    budgetTokens: budget,
    dropped,
    skipped: [...skipped].map(([path, reason]) => ({ path, reason })),
    uncoveredWords: uncovered,
    contentWords: words,
    coverage: total > 0 ? Math.round((1 - missed / total) * 1000) / 1000 : 1,
  };
}
