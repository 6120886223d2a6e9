/**
 * The candidate items evidence gathering chooses from: declaration records, member lists, and the
 * relations gathered around an entry, by the question's intent.
 */
import type { CboObject, GraphQuery, RelationKind } from '../kg/index.ts';
import type { EvidenceItem, EvidenceKind, EvidenceRelation } from './evidence.ts';
import type { QuestionIntent } from './question.ts';

const MAX_MEMBERS_LISTED = 40;
export const EDGES_PER_SUBJECT = 12;
export const EDGES_FOR_THE_QUESTION = 60;

export type Candidate = Omit<EvidenceItem, 'id' | 'contentHash'> & { readonly rank: number };

export const where = (o: CboObject) => `${o.file_path}:${o.start_line}-${o.end_line}`;
export type LocatedObject = CboObject & { file_path: string; start_line: number; end_line: number };
export const located = (o: CboObject): o is LocatedObject =>
  o.file_path !== null && o.start_line !== null && o.end_line !== null;

export function objectFields(o: CboObject) {
  return { objectId: o.id, objectKind: o.kind, symbol: o.qualified_name, signature: o.signature };
}

/** The declaration record of an object: what the graph knows without reading the file. */
export function schemaCandidate(o: LocatedObject, rank: number): Candidate {
  const lines = [`${o.kind} ${o.qualified_name} (${where(o)})`, `signature: ${o.signature}`];
  if (o.params_json.length > 0)
    lines.push(
      `params: ${o.params_json.map((p) => `${p.rest ? '...' : ''}${p.name}${p.optional ? '?' : ''}: ${p.type ?? 'unknown'}`).join(', ')}`,
    );
  if (o.returns_json)
    lines.push(`returns: ${o.returns_json.type ?? 'unknown'}${o.returns_json.inferred ? ' (inferred)' : ''}`);
  if (o.fields_json.length > 0)
    lines.push(
      `fields: ${o.fields_json.map((f) => `${f.name}${f.optional ? '?' : ''}: ${f.type ?? 'unknown'}`).join(', ')}`,
    );
  lines.push(`exported: ${o.metadata.exported}`);
  if (o.doc) lines.push(`doc: ${o.doc}`);
  return {
    kind: 'schema',
    ...objectFields(o),
    path: o.file_path,
    startLine: o.start_line,
    endLine: o.end_line,
    title: `${o.kind} ${o.qualified_name}`,
    text: lines.join('\n'),
    rank,
  };
}

/** A container's member list; `total` is how many members the graph holds (`members` may be fewer). */
export function membersCandidate(
  container: LocatedObject,
  members: readonly CboObject[],
  rank: number,
  total = members.length,
): Candidate {
  const shown = members.filter(located).slice(0, MAX_MEMBERS_LISTED);
  const lines = [`${container.kind} ${container.qualified_name} (${where(container)}) contains:`];
  for (const m of shown)
    lines.push(
      `- ${m.kind} ${m.qualified_name}${m.metadata.exported ? ' (exported)' : ''} lines ${m.start_line}-${m.end_line}: ${m.signature}`,
    );
  if (total > shown.length) lines.push(`- ... and ${total - shown.length} more`);
  return {
    kind: 'contains',
    ...objectFields(container),
    path: container.file_path,
    startLine: container.start_line,
    endLine: container.end_line,
    title: `members of ${container.kind} ${container.qualified_name}`,
    text: lines.join('\n'),
    members: shown.map((m) => ({
      kind: m.kind,
      name: m.name,
      exported: m.metadata.exported,
      startLine: m.start_line!,
      endLine: m.end_line!,
      signature: m.signature,
    })),
    rank,
  };
}

export function numbered(lines: readonly string[], first: number): string {
  return lines.map((l, i) => `${first + i}| ${l}`).join('\n');
}

export interface EdgeSpec {
  readonly kinds: readonly RelationKind[];
  readonly direction: 'in' | 'out';
  readonly evidenceKind: EvidenceKind;
}

// One hop around every entry, EDGES_PER_SUBJECT of each: the context of what the question asks.
const CONTEXT_SPECS: readonly EdgeSpec[] = [
  { kinds: ['calls'], direction: 'in', evidenceKind: 'calls' },
  { kinds: ['calls'], direction: 'out', evidenceKind: 'calls' },
  { kinds: ['imports'], direction: 'in', evidenceKind: 'imports' },
  { kinds: ['imports'], direction: 'out', evidenceKind: 'imports' },
  { kinds: ['uses_type', 'returns_type'], direction: 'in', evidenceKind: 'graph' },
  { kinds: ['extends', 'implements'], direction: 'out', evidenceKind: 'graph' },
  { kinds: ['uses_type', 'returns_type'], direction: 'out', evidenceKind: 'graph' },
];

/**
 * What a structural question asks of the graph about a subject: one walk, gathered up to
 * EDGES_FOR_THE_QUESTION and counted in full, the same walk `cogo graph <query>` runs when it has one.
 */
export interface AskedWalk extends EdgeSpec {
  readonly query: GraphQuery | null;
  /** The relation kind the items and the total carry: `impact`, or null for each edge's own kind. */
  readonly label: 'impact' | null;
}

const ASKED: Partial<Record<QuestionIntent, AskedWalk>> = {
  callers: { query: 'callers', kinds: ['calls'], direction: 'in', evidenceKind: 'calls', label: null },
  callees: { query: 'callees', kinds: ['calls'], direction: 'out', evidenceKind: 'calls', label: null },
  type_uses: {
    query: null,
    kinds: ['uses_type', 'returns_type'],
    direction: 'in',
    evidenceKind: 'graph',
    label: null,
  },
  implementations: {
    query: 'implementations',
    kinds: ['implements', 'extends'],
    direction: 'in',
    evidenceKind: 'graph',
    label: null,
  },
  impact: { query: 'impact', kinds: [], direction: 'in', evidenceKind: 'graph', label: 'impact' },
};
// A module's exports: its declarations (contains), and the modules it imports, which it may re-export.
const EXPORTS_WALK: AskedWalk = {
  query: null,
  kinds: ['imports'],
  direction: 'out',
  evidenceKind: 'imports',
  label: null,
};

/** The walk a question of this intent asks for about this subject, if any. */
export function askedWalk(intent: QuestionIntent, subject: CboObject): AskedWalk | null {
  if (intent === 'exports') return subject.kind === 'module' ? EXPORTS_WALK : null;
  return ASKED[intent] ?? null;
}

const sameKinds = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && a.every((k) => b.includes(k));

/** The one-hop context relations of an entry: every spec but the one its asked walk gathers in full. */
export function edgeSpecs(asked: AskedWalk | null, entry: CboObject): EdgeSpec[] {
  return CONTEXT_SPECS.filter(
    (spec) =>
      (spec.kinds[0] !== 'imports' || entry.kind === 'module') &&
      !(asked && spec.direction === asked.direction && sameKinds(spec.kinds, asked.kinds)),
  );
}

/** One relation of a subject as an evidence candidate: the line it was read from, and a sentence. */
export function relationCandidate(
  subject: LocatedObject,
  other: CboObject,
  relation: { kind: RelationKind | 'impact'; via: RelationKind | null; depth: number },
  spec: EdgeSpec,
  evidence: { readonly file: string; readonly line: number },
  rank: number,
): Candidate {
  const [active, passive] = RELATION_WORDS[relation.kind] ?? [relation.kind, relation.kind];
  const hops =
    relation.depth > 1 || relation.kind === 'impact'
      ? ` (${relation.depth} hop${relation.depth > 1 ? 's' : ''}, via ${relation.via})`
      : '';
  const sentence =
    spec.direction === 'in'
      ? `${other.kind} ${other.qualified_name} ${active} ${subject.qualified_name}${hops}`
      : `${subject.kind} ${subject.qualified_name} ${active} ${other.kind} ${other.qualified_name}${other.file_path ? '' : ' (external)'}${hops}`;
  // The evidence line is in the relation's source file; the item belongs to the source object
  // (a walk outwards is one hop here, so its source is the subject).
  const source = spec.direction === 'in' ? other : subject;
  return {
    kind: spec.evidenceKind,
    ...objectFields(source),
    path: evidence.file,
    startLine: evidence.line,
    endLine: evidence.line,
    title:
      spec.direction === 'in'
        ? `${subject.qualified_name} ${passive} ${other.qualified_name}${hops}`
        : sentence,
    text: sentence,
    relation: {
      kind: relation.kind,
      direction: spec.direction,
      subjectId: subject.id,
      depth: relation.depth,
      other: { kind: other.kind, symbol: other.qualified_name, external: other.file_path === null },
    } satisfies EvidenceRelation,
    rank,
  };
}

export const RELATION_WORDS: Record<string, [string, string]> = {
  calls: ['calls', 'is called by'],
  imports: ['imports', 'is imported by'],
  uses_type: ['uses the type', 'is used as a type by'],
  returns_type: ['returns the type', 'is the return type of'],
  extends: ['extends', 'is extended by'],
  implements: ['implements', 'is implemented by'],
  impact: ['depends on', 'is depended on by'],
};
