/**
 * The candidate items evidence gathering chooses from: declaration records, member lists, and the
 * relations gathered around an entry, by the question's intent.
 */
import type { CboObject, RelationKind } from '../kg/index.ts';
import type { EvidenceItem, EvidenceKind, EvidenceRelation } from './evidence.ts';
import type { ClassifiedQuestion } from './question.ts';

const MAX_MEMBERS_LISTED = 40;
export const EDGES_PER_SUBJECT = 12;
export const EDGES_FOR_THE_QUESTION = 60;

export type Candidate = Omit<EvidenceItem, 'id' | 'contentHash'> & { readonly rank: number };

export const where = (o: CboObject) => `${o.file_path}:${o.start_line}-${o.end_line}`;
export const located = (
  o: CboObject,
): o is CboObject & { file_path: string; start_line: number; end_line: number } =>
  o.file_path !== null && o.start_line !== null && o.end_line !== null;

export function objectFields(o: CboObject) {
  return { objectId: o.id, objectKind: o.kind, symbol: o.qualified_name, signature: o.signature };
}

/** The declaration record of an object: what the graph knows without reading the file. */
export function schemaCandidate(
  o: CboObject & { file_path: string; start_line: number; end_line: number },
  rank: number,
): Candidate {
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

export function membersCandidate(
  container: CboObject & { file_path: string; start_line: number; end_line: number },
  members: readonly CboObject[],
  rank: number,
  relation?: EvidenceRelation,
): Candidate {
  const shown = members.filter(located).slice(0, MAX_MEMBERS_LISTED);
  const lines = [`${container.kind} ${container.qualified_name} (${where(container)}) contains:`];
  for (const m of shown)
    lines.push(
      `- ${m.kind} ${m.qualified_name}${m.metadata.exported ? ' (exported)' : ''} lines ${m.start_line}-${m.end_line}: ${m.signature}`,
    );
  if (members.length > shown.length) lines.push(`- ... and ${members.length - shown.length} more`);
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
    ...(relation ? { relation } : {}),
  };
}

export function numbered(lines: readonly string[], first: number): string {
  return lines.map((l, i) => `${first + i}| ${l}`).join('\n');
}

export interface EdgeSpec {
  readonly kinds: readonly RelationKind[];
  readonly direction: 'in' | 'out';
  readonly evidenceKind: EvidenceKind;
  readonly limit: number;
}

/** The relations gathered for an entry, by intent: what the question asks for is gathered in full. */
export function edgeSpecs(classified: ClassifiedQuestion, isSubject: boolean): EdgeSpec[] {
  const wanted = (intent: ClassifiedQuestion['intent']) => isSubject && classified.intent === intent;
  return [
    {
      kinds: ['calls'],
      direction: 'in',
      evidenceKind: 'calls',
      limit: wanted('callers') ? EDGES_FOR_THE_QUESTION : EDGES_PER_SUBJECT,
    },
    {
      kinds: ['calls'],
      direction: 'out',
      evidenceKind: 'calls',
      limit: wanted('callees') ? EDGES_FOR_THE_QUESTION : EDGES_PER_SUBJECT,
    },
    { kinds: ['imports'], direction: 'in', evidenceKind: 'imports', limit: EDGES_PER_SUBJECT },
    {
      kinds: ['imports'],
      direction: 'out',
      evidenceKind: 'imports',
      limit: wanted('exports') ? EDGES_FOR_THE_QUESTION : EDGES_PER_SUBJECT,
    },
    {
      kinds: ['uses_type', 'returns_type'],
      direction: 'in',
      evidenceKind: 'graph',
      limit: wanted('type_uses') ? EDGES_FOR_THE_QUESTION : EDGES_PER_SUBJECT,
    },
    { kinds: ['extends', 'implements'], direction: 'out', evidenceKind: 'graph', limit: EDGES_PER_SUBJECT },
    {
      kinds: ['uses_type', 'returns_type'],
      direction: 'out',
      evidenceKind: 'graph',
      limit: EDGES_PER_SUBJECT,
    },
  ];
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
