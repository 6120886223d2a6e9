/**
 * Evidence gathering (the seed's evidence policy): entry symbols from the question (named
 * definitions, else hybrid search), then what the graph says about them, in priority order
 * schema > contains > local_file > calls > imports > graph, within a token budget. Every item is
 * one file's lines with the object they belong to and the indexed file's content hash.
 */
import type { Db } from '../db/index.ts';
import {
  type CboObject,
  indexedFileHashes,
  loadObjects,
  queryGraph,
  type RelationHit,
  type RelationKind,
  relationsOf,
} from '../kg/index.ts';
import {
  chunkFileHashes,
  DEFAULT_LANGUAGES,
  documentFrequencies,
  type Embedder,
  type SearchHit,
  searchCode,
} from '../search/index.ts';
import { ChatError } from './errors.ts';
import {
  type Candidate,
  EDGES_FOR_THE_QUESTION,
  type EdgeSpec,
  edgeSpecs,
  located,
  membersCandidate,
  numbered,
  objectFields,
  RELATION_WORDS,
  schemaCandidate,
} from './evidence-candidates.ts';
import { type ClassifiedQuestion, classifyQuestion } from './question.ts';
import { createRepoReader, type RepoReader } from './repo-files.ts';
import { MAX_SUBJECTS, resolveMentions, resolveSubjects } from './subjects.ts';

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

export interface EvidenceSet {
  readonly question: string;
  readonly classified: ClassifiedQuestion;
  /** The definitions the question names (structural questions). */
  readonly subjects: readonly CboObject[];
  /** The objects evidence was gathered around: the subjects, or the top search hits. */
  readonly entries: readonly CboObject[];
  /** Of the identifiers `alsoAbout` names: the definitions found, and the names not in the index. */
  readonly mentioned: { readonly found: readonly CboObject[]; readonly missing: readonly string[] };
  readonly items: readonly EvidenceItem[];
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
  const { classified, subjects } = await resolveSubjects(db, question, classifyQuestion(question), languages);

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

  const candidates: Candidate[] = [];
  const subjectIds = new Set(subjects.map((s) => s.id));
  const locatedEntries = entries.filter(located);
  locatedEntries.forEach((o, rank) => {
    candidates.push(schemaCandidate(o, rank));
  });

  // contains: each entry's container, and the members of entries that are containers.
  const ids = locatedEntries.map((o) => o.id);
  const [parents, children] = await Promise.all([
    relationsOf(db, ids, ['contains'], 'in', 1),
    relationsOf(db, ids, ['contains'], 'out', 200),
  ]);
  const containers = parents.filter((p) => located(p.object) && p.object.kind !== 'module');
  const siblings = await relationsOf(
    db,
    [...new Set(containers.map((p) => p.object.id))],
    ['contains'],
    'out',
    200,
  );
  for (const p of containers) {
    if (!located(p.object)) continue;
    const members = siblings.filter((s) => s.startId === p.object.id).map((s) => s.object);
    candidates.push(membersCandidate(p.object, members, ids.indexOf(p.startId)));
  }
  for (const o of locatedEntries) {
    const members = children.filter((c) => c.startId === o.id).map((c) => c.object);
    if (members.length > 0) candidates.push(membersCandidate(o, members, ids.indexOf(o.id)));
  }

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

  // calls, imports, graph: one hop around each entry; the module's imports for an entry's module.
  const relationCandidate = (hit: RelationHit, spec: EdgeSpec, subject: CboObject): Candidate => {
    const [active, passive] = RELATION_WORDS[hit.kind] ?? [hit.kind, hit.kind];
    const other = hit.object;
    const sentence =
      spec.direction === 'in'
        ? `${other.kind} ${other.qualified_name} ${active} ${subject.qualified_name}`
        : `${subject.kind} ${subject.qualified_name} ${active} ${other.kind} ${other.qualified_name}${other.file_path ? '' : ' (external)'}`;
    // The evidence line is in the source object's file; the item belongs to the source object.
    const source = spec.direction === 'in' ? other : subject;
    return {
      kind: spec.evidenceKind,
      ...objectFields(source),
      path: hit.evidence.file,
      startLine: hit.evidence.line,
      endLine: hit.evidence.line,
      title:
        spec.direction === 'in' ? `${subject.qualified_name} ${passive} ${other.qualified_name}` : sentence,
      text: sentence,
      relation: {
        kind: hit.kind,
        direction: spec.direction,
        subjectId: subject.id,
        depth: 1,
        other: { kind: other.kind, symbol: other.qualified_name, external: other.file_path === null },
      },
      rank: ids.indexOf(subject.id),
    };
  };
  // Two statements (relations in, relations out) for every entry and kind; each spec then takes its
  // share per entry, in file and line order.
  const byId = new Map(locatedEntries.map((o) => [o.id, o]));
  const specsOf = (o: CboObject) =>
    edgeSpecs(classified, subjectIds.has(o.id)).filter(
      (spec) => spec.kinds[0] !== 'imports' || o.kind === 'module',
    );
  const kindsFor = (direction: 'in' | 'out') => [
    ...new Set(
      locatedEntries.flatMap((o) =>
        specsOf(o)
          .filter((x) => x.direction === direction)
          .flatMap((x) => x.kinds),
      ),
    ),
  ];
  const [incoming, outgoing] = await Promise.all(
    (['in', 'out'] as const).map((direction) => {
      const kinds = kindsFor(direction);
      return kinds.length === 0
        ? []
        : relationsOf(db, [...byId.keys()], kinds, direction, EDGES_FOR_THE_QUESTION);
    }),
  );
  for (const o of locatedEntries)
    for (const spec of specsOf(o)) {
      const hits = (spec.direction === 'in' ? incoming : outgoing)!.filter(
        (h) => h.startId === o.id && spec.kinds.includes(h.kind),
      );
      for (const hit of hits.slice(0, spec.limit)) candidates.push(relationCandidate(hit, spec, o));
    }
  // Structural questions the graph answers with a walk: implementations (transitive), impact.
  if (subjects.length > 0 && (classified.intent === 'implementations' || classified.intent === 'impact')) {
    const result = await queryGraph(db, classified.intent, subjects[0]!.qualified_name);
    for (const h of result.hits.slice(0, EDGES_FOR_THE_QUESTION)) {
      if (!h.evidence) continue;
      const subject = subjects[0]!;
      const kind = classified.intent === 'impact' ? 'impact' : (h.via ?? 'implements');
      const [active] = RELATION_WORDS[kind] ?? [kind];
      candidates.push({
        kind: 'graph',
        ...objectFields(h.object),
        path: h.evidence.file,
        startLine: h.evidence.line,
        endLine: h.evidence.line,
        title: `${h.object.qualified_name} ${active} ${subject.qualified_name} (${h.depth} hop${h.depth > 1 ? 's' : ''}, via ${h.via})`,
        text: `${h.object.kind} ${h.object.qualified_name} ${active} ${subject.qualified_name} (${h.depth} hop${h.depth > 1 ? 's' : ''}, via ${h.via})`,
        relation: {
          kind,
          direction: 'in',
          subjectId: subject.id,
          depth: h.depth,
          other: {
            kind: h.object.kind,
            symbol: h.object.qualified_name,
            external: h.object.file_path === null,
          },
        },
        rank: 0,
      });
    }
  }

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
  return { ...set, mentioned };
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
): Promise<Omit<EvidenceSet, 'mentioned'>> {
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
    const key = `${c.kind}:${c.path}:${c.startLine}-${c.endLine}:${c.relation?.kind ?? ''}:${c.objectId}`;
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
