/**
 * How answers state counts: the graph's totals (`EvidenceSet.totals`), with how many of them an
 * answer lists, in singular or plural. Shared by the built-in answerer and the model's evidence text.
 */
import { OBJECT_KINDS } from '../kg/index.ts';
import type { EvidenceItem, EvidenceSet, EvidenceTotal } from './evidence.ts';

/** `1 caller`, `154 callers`; `1 class`, `2 classes`. */
export const count = (n: number, noun: string, plural = pluralOf(noun)): string =>
  `${n} ${n === 1 ? noun : plural}`;

const pluralOf = (noun: string) => (/(s|sh|ch|x)$/.test(noun) ? `${noun}es` : `${noun}s`);

/** A present-tense verb agreeing with a count: `1 declaration uses`, `2 declarations use`. */
export const verb = (n: number, v: string): string => (n === 1 ? `${v}s` : v);

/** `a, b and c`. */
export const listOf = (words: readonly string[]): string =>
  words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;

/** The kinds of declaration a module can hold as the graph records them (OBJECT_KINDS), plural. */
export const DECLARED_KINDS: readonly string[] = OBJECT_KINDS.filter(
  (k) => k !== 'module' && k !== 'method',
).map(pluralOf);

/** The total the evidence carries for an entry and a relation (kinds in any order), if it was counted. */
export function totalOf(
  e: Pick<EvidenceSet, 'totals'>,
  subjectId: string | null,
  kinds: readonly string[],
  direction: 'in' | 'out',
): EvidenceTotal | undefined {
  return e.totals.find(
    (t) =>
      t.subjectId === subjectId &&
      t.direction === direction &&
      t.kinds.length === kinds.length &&
      t.kinds.every((k) => kinds.includes(k)),
  );
}

/**
 * How much of a list an answer shows: nothing when it shows all; else how many, the first in file
 * order (one hop) or the nearest (a walk, ordered by hops), and the command that lists them all.
 */
export function listedClause(listed: number, total: number, depth: number, command: string | null): string {
  if (listed >= total) return '';
  const all = command ? ` (all of them: ${command})` : '';
  if (listed === 0) return `; none of them fit in the evidence${all}`;
  if (depth > 1)
    return `${listed === 1 ? '; only the nearest is listed' : `; the ${listed} nearest are listed`}${all}`;
  return `${listed === 1 ? '; only the first in file order is listed' : `; the first ${listed} in file order are listed`}${all}`;
}

/** `66 functions, 2 interfaces, 1 type`: the most first, then in the order of OBJECT_KINDS. */
export function byKind(counts: ReadonlyArray<{ readonly kind: string; readonly n: number }>): string {
  const order = (k: string) => {
    const i = (OBJECT_KINDS as readonly string[]).indexOf(k);
    return i < 0 ? OBJECT_KINDS.length : i;
  };
  return [...counts]
    .filter((c) => c.n > 0)
    .sort((a, b) => b.n - a.n || order(a.kind) - order(b.kind) || a.kind.localeCompare(b.kind))
    .map((c) => count(c.n, c.kind))
    .join(', ');
}

// What a total counts, by its relation kinds and direction.
const NOUNS: Record<string, readonly [string, string]> = {
  'calls:in': ['caller', 'callers'],
  'calls:out': ['callee', 'callees'],
  'returns_type+uses_type:in': ['declaration using it as a type', 'declarations using it as a type'],
  'returns_type+uses_type:out': ['type it uses', 'types it uses'],
  'extends+implements:in': ['implementation or subtype', 'implementations and subtypes'],
  'extends+implements:out': ['supertype', 'supertypes'],
  'imports:in': ['module importing it', 'modules importing it'],
  'imports:out': ['module it imports', 'modules it imports'],
  'contains:out': ['member', 'members'],
  'impact:in': ['dependent', 'dependents'],
};

function nounsOf(t: EvidenceTotal): readonly [string, string] {
  const key = `${[...t.kinds].sort().join('+')}:${t.direction}`;
  const relation = `${t.kinds.join('/')} relation`;
  const end = t.direction === 'in' ? 'into it' : 'out of it';
  return NOUNS[key] ?? [`${relation} ${end}`, `${relation}s ${end}`];
}

/** How many of a total's objects the evidence items show. */
function shownOf(t: EvidenceTotal, items: readonly EvidenceItem[]): number {
  if (t.kinds[0] === 'contains')
    return items.find((i) => i.kind === 'contains' && i.objectId === t.subjectId)?.members?.length ?? 0;
  return items.filter(
    (i) =>
      i.relation?.subjectId === t.subjectId &&
      i.relation.direction === t.direction &&
      t.kinds.includes(i.relation.kind),
  ).length;
}

/**
 * The totals as lines for a model's prompt: `- function target: 154 callers (1 hop); the evidence
 * has 60 of them`. Totals of zero are left out.
 */
export function describeTotals(e: Pick<EvidenceSet, 'totals' | 'entries' | 'items'>): string[] {
  const names = new Map(e.entries.map((o) => [o.id, `${o.kind} ${o.qualified_name}`]));
  for (const i of e.items) if (i.objectId && i.symbol) names.set(i.objectId, `${i.objectKind} ${i.symbol}`);
  return e.totals
    .filter((t) => t.total > 0)
    .map((t) => {
      const [one, many] = nounsOf(t);
      const exported =
        t.members !== undefined ? `, ${t.members.reduce((n, m) => n + m.exported, 0)} exported` : '';
      return `- ${names.get(t.subjectId) ?? t.subjectId}: ${count(t.total, one, many)} (${count(t.depth, 'hop')}${exported}); the evidence has ${shownOf(t, e.items)} of them`;
    });
}
