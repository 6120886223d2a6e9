/**
 * The built-in answerer: no model. Structural questions (where is X defined, who calls X, what does
 * X call or return, what implements X, what does module M export, what uses type T, what would a
 * change to X affect) are answered from the graph evidence; an open question gets the best evidence,
 * organised, as a `partial` answer; a question the index cannot answer is declined plainly.
 */
import type { GraphQuery } from '../kg/index.ts';
import { type Answerer, type AnswerInput, citationOf, type Draft } from './answerer.ts';
import { type Citation, type LlmResponse, RESPONSE_VERSION } from './contract.ts';
import { byKind, count, DECLARED_KINDS, listedClause, listOf, totalOf, verb } from './counts.ts';
import type { EvidenceItem, EvidenceSet } from './evidence.ts';
import type { QuestionIntent } from './question.ts';

export const BUILTIN_ANSWERER = 'builtin';
// An open question is declined when its evidence has less than this share of its content words,
// weighted by their rarity in the index (EvidenceSet.coverage).
const MIN_COVERAGE = 0.5;
const MAX_LISTED = 25;

interface Composed {
  readonly status: LlmResponse['status'];
  readonly lines: string[];
  readonly cited: EvidenceItem[];
  readonly confidence: number;
  readonly followUps: string[];
}

const code = (s: string) => `\`${s.replace(/`/g, "'")}\``;
const span = (i: { startLine: number; endLine: number }) =>
  i.startLine === i.endLine ? `line ${i.startLine}` : `lines ${i.startLine}-${i.endLine}`;

function firstSentence(doc: string | null | undefined): string | null {
  if (!doc) return null;
  const text = doc.replace(/\s+/g, ' ').trim();
  const m = /^(.+?[.!?])(\s|$)/.exec(text);
  return (m?.[1] ?? text).slice(0, 300);
}

function docOf(item: EvidenceItem): string | null {
  const m = /^doc: (.*)$/ms.exec(item.text);
  return firstSentence(m?.[1]);
}

function schemaItems(e: EvidenceSet): EvidenceItem[] {
  const subjectIds = new Set(e.subjects.map((s) => s.id));
  return e.items.filter((i) => i.kind === 'schema' && i.objectId !== null && subjectIds.has(i.objectId));
}

const article = (word: string | null) => (word && /^[aeiou]/i.test(word) ? `an ${word}` : `a ${word}`);
const sentence = (text: string) => (/[.!?]$/.test(text) ? text : `${text}.`);

function describeDefinition(item: EvidenceItem): string {
  const doc = docOf(item);
  return `${code(item.symbol ?? '?')} is ${article(item.objectKind)} in ${code(item.path)} (${span(item)}): ${code(item.signature ?? '')}${doc ? ` — ${doc}` : ''}`;
}

/** How a listed object reads: a module's own top-level code is named by its file. */
function nameOf(item: EvidenceItem): string {
  return item.objectKind === 'module'
    ? `top-level code of ${code(item.path)}`
    : code(item.symbol ?? item.path);
}

interface RelationQuestion {
  readonly kinds: readonly string[];
  readonly direction: 'in' | 'out';
  /** The `cogo graph` query that lists the same objects. */
  readonly query: GraphQuery | null;
  /** The sentence that states the total: `It has 154 callers`. */
  readonly counted: (n: number, depth: number, subject: EvidenceItem) => string;
  readonly none: (subject: EvidenceItem) => string;
}

const RELATION_QUESTIONS: Partial<Record<QuestionIntent, RelationQuestion>> = {
  callers: {
    kinds: ['calls'],
    direction: 'in',
    query: 'callers',
    counted: (n) => `It has ${count(n, 'caller')}`,
    none: () =>
      'No calls to it are recorded in the index. cogo records a call only when the type checker resolves it to exactly one declaration, so calls through `any`, dynamic dispatch or callbacks are not counted.',
  },
  callees: {
    kinds: ['calls'],
    direction: 'out',
    query: 'callees',
    counted: (n) => `It calls ${count(n, 'declaration')}`,
    none: () => 'It makes no calls that the index resolved to one declaration.',
  },
  type_uses: {
    kinds: ['uses_type', 'returns_type'],
    direction: 'in',
    query: null,
    counted: (n) => `${count(n, 'declaration')} ${verb(n, 'use')} it as a type`,
    none: () => 'No declaration in the index uses it as a type.',
  },
  implementations: {
    kinds: ['implements', 'extends'],
    direction: 'in',
    query: 'implementations',
    counted: (n, _depth, subject) =>
      subject.objectKind === 'method'
        ? `${count(n, 'method')} ${verb(n, 'implement')} or ${verb(n, 'override')} it`
        : `${count(n, 'type')} ${verb(n, 'implement')} or ${verb(n, 'extend')} it, directly or through other types`,
    none: (subject) =>
      `Nothing in the index implements or ${subject.objectKind === 'method' ? 'overrides' : 'extends'} it.`,
  },
  impact: {
    kinds: ['impact'],
    direction: 'in',
    query: 'impact',
    counted: (n, depth) =>
      `${count(n, 'declaration')} ${verb(n, 'depend')} on it (calls, type uses, extends, implements, imports; up to ${count(depth, 'hop')})`,
    none: () =>
      'Nothing in the index depends on it (no recorded calls, type uses, extends, implements or imports).',
  },
};

/** One line of a relation list: the object at the other end and the line the relation was read from. */
function relationLine(r: EvidenceItem, direction: 'in' | 'out'): { other: string; line: string } {
  const o = r.relation!.other;
  const other =
    direction === 'in' ? nameOf(r) : `${o.kind} ${code(o.symbol)}${o.external ? ' (external)' : ''}`;
  const hops = r.relation!.depth > 1 ? ` (${r.relation!.depth} hops away)` : '';
  return { other, line: `- ${other} at ${code(r.path)} ${span(r)}${hops}` };
}

function relationAnswer(e: EvidenceSet, intent: QuestionIntent): Composed {
  const spec = RELATION_QUESTIONS[intent]!;
  const lines: string[] = [];
  const cited: EvidenceItem[] = [];
  let found = 0;
  for (const def of schemaItems(e)) {
    const related = e.items.filter(
      (i) =>
        i.relation?.subjectId === def.objectId &&
        i.relation.direction === spec.direction &&
        spec.kinds.includes(i.relation.kind),
    );
    cited.push(def);
    lines.push(sentence(describeDefinition(def)));
    // One line per object and line, in the graph's order.
    const distinct = new Map<string, EvidenceItem>();
    for (const r of related) {
      const key = `${relationLine(r, spec.direction).other}@${r.path}:${r.startLine}`;
      if (!distinct.has(key)) distinct.set(key, r);
    }
    const listed = [...distinct.values()].slice(0, MAX_LISTED);
    // The count is the graph's (counted over the whole walk), never the length of the list gathered;
    // gatherEvidence counts every subject's walk, so only evidence put together by hand lacks it.
    const counted = totalOf(e, def.objectId, spec.kinds, spec.direction);
    const total = counted?.total ?? distinct.size;
    const depth = counted?.depth ?? 1;
    found += total;
    if (total === 0) {
      lines.push(spec.none(def), '');
      continue;
    }
    const command = spec.query ? `cogo graph ${spec.query} ${def.symbol}` : null;
    const head = spec.counted(total, depth, def);
    lines.push(
      `${head}${listedClause(listed.length, total, depth, command)}${listed.length > 0 ? ':' : '.'}`,
    );
    for (const r of listed) {
      lines.push(relationLine(r, spec.direction).line);
      cited.push(r);
    }
    lines.push('');
  }
  return { status: 'answered', lines, cited, confidence: found > 0 ? 0.9 : 0.7, followUps: [] };
}

function returnsAnswer(e: EvidenceSet): Composed {
  const lines: string[] = [];
  const cited: EvidenceItem[] = [];
  for (const s of e.subjects) {
    const def = schemaItems(e).find((i) => i.objectId === s.id);
    if (!def) continue;
    cited.push(def);
    const ret = s.returns_json;
    if (!ret || ret.type === null) {
      lines.push(
        `${code(s.qualified_name)} (${s.kind} in ${code(def.path)}, ${span(def)}) has no return type the index knows of: ${code(s.signature)}.`,
      );
      continue;
    }
    lines.push(
      `${code(s.qualified_name)} returns ${code(ret.type)}${ret.inferred ? ' (inferred by the type checker; not annotated)' : ''}. It is a ${s.kind} in ${code(def.path)} (${span(def)}): ${code(s.signature)}.`,
    );
    const types = e.items.filter(
      (i) =>
        i.relation?.subjectId === s.id &&
        i.relation.kind === 'returns_type' &&
        i.relation.direction === 'out',
    );
    if (types.length > 0) {
      lines.push(
        `The return type refers to: ${types.map((t) => `${t.relation!.other.kind} ${code(t.relation!.other.symbol)}`).join(', ')}.`,
      );
      cited.push(...types);
    }
  }
  return { status: 'answered', lines, cited, confidence: 0.9, followUps: [] };
}

/** A module that declares nothing (an index.ts): it exports what it imports and re-exports. */
function reexportLines(
  e: EvidenceSet,
  m: EvidenceSet['subjects'][number],
): { lines: string[]; cited: EvidenceItem[] } {
  const from = e.items.filter(
    (i) => i.relation?.subjectId === m.id && i.relation.kind === 'imports' && i.relation.direction === 'out',
  );
  if (from.length === 0) return { lines: [], cited: [] };
  const total = totalOf(e, m.id, ['imports'], 'out')?.total ?? from.length;
  const listed = from.slice(0, MAX_LISTED);
  return {
    lines: [
      `Module ${code(m.file_path ?? m.qualified_name)} declares nothing itself; it imports (and so can re-export) from ${count(total, 'module')}${listedClause(listed.length, total, 1, null)}:`,
      ...listed.map((f) => `- ${code(f.relation!.other.symbol)} (${span(f)})`),
      'Which of their names it re-exports is in the lines cited; the index records modules, not re-exported names.',
    ],
    cited: listed,
  };
}

function exportsAnswer(e: EvidenceSet): Composed {
  const lines: string[] = [];
  const cited: EvidenceItem[] = [];
  for (const m of e.subjects.filter((s) => s.kind === 'module')) {
    const name = code(m.file_path ?? m.qualified_name);
    const members = totalOf(e, m.id, ['contains'], 'out');
    const recorded = `the index records ${listOf(DECLARED_KINDS)} as declarations`;
    if (!members || members.total === 0) {
      const re = reexportLines(e, m);
      const def = e.items.find((i) => i.kind === 'schema' && i.objectId === m.id);
      if (re.lines.length === 0 && def) {
        lines.push(`Module ${name} declares nothing and imports nothing (${recorded}).`);
        cited.push(def);
      }
      lines.push(...re.lines);
      cited.push(...re.cited);
      continue;
    }
    const item = e.items.find((i) => i.kind === 'contains' && i.objectId === m.id);
    if (!item) continue;
    cited.push(item);
    // Counted in the graph: the member list in the evidence holds the first 40 at most.
    const exported = (members.members ?? []).map((x) => ({ kind: x.kind, n: x.exported }));
    const kinds = exported.filter((x) => x.n > 0);
    const total = kinds.reduce((n, x) => n + x.n, 0);
    if (total === 0) {
      lines.push(
        `Module ${name} exports no declarations: its ${count(members.total, 'declaration')} ${members.total === 1 ? 'is' : 'are'} not exported (${recorded}).`,
      );
      continue;
    }
    const listed = (item.members ?? []).filter((x) => x.exported).slice(0, MAX_LISTED);
    lines.push(
      `Module ${name} exports ${kinds.length === 1 ? count(total, kinds[0]!.kind) : `${count(total, 'declaration')} (${byKind(kinds)})`}${listedClause(listed.length, total, 1, null)}${listed.length > 0 ? ':' : '.'}`,
    );
    for (const x of listed) lines.push(`- ${x.kind} ${code(x.name)} (${span(x)}): ${code(x.signature)}`);
  }
  if (cited.length === 0)
    return declined(e, 'The module was found, but its member list did not fit in the evidence.');
  return { status: 'answered', lines, cited, confidence: 0.9, followUps: [] };
}

function definitionAnswer(e: EvidenceSet): Composed {
  const defs = schemaItems(e);
  // By the name the question wrote: how many declarations it has, and which of them are shown.
  const groups = e.names
    .map((n) => ({ name: n.text, total: n.total, defs: defs.filter((d) => n.ids.includes(d.objectId!)) }))
    .filter((g) => g.defs.length > 0);
  if (groups.length === 0) groups.push({ name: e.classified.subject ?? '', total: defs.length, defs });
  const lines: string[] = [];
  for (const g of groups) {
    if (g.total === 1 && g.defs.length === 1) {
      lines.push(sentence(describeDefinition(g.defs[0]!)));
      continue;
    }
    const shown = g.defs.length;
    lines.push(
      `${g.total} declarations are named ${code(g.name)}${shown < g.total ? `; ${shown} ${shown === 1 ? 'is' : 'are'} shown` : ''}:`,
      ...g.defs.map((d) => `- ${describeDefinition(d)}`),
    );
  }
  return { status: 'answered', lines, cited: defs, confidence: 0.95, followUps: [] };
}

function declined(e: EvidenceSet, why: string, showNearest = true): Composed {
  const near = showNearest ? e.items.filter((i) => i.kind === 'schema').slice(0, 3) : [];
  const lines = [why];
  if (near.length > 0)
    lines.push(
      '',
      'The nearest code I found, which may not be what you mean:',
      ...near.map((n) => `- ${describeDefinition(n)}`),
    );
  return {
    status: 'cannot_answer',
    lines,
    cited: near,
    confidence: 0.8,
    followUps: near.map((n) => `Where is ${n.symbol} used?`).slice(0, 3),
  };
}

function openAnswer(e: EvidenceSet): Composed {
  const entries = e.items.filter((i) => i.kind === 'schema');
  const docs = e.items.filter((i) => i.kind === 'local_file' && i.objectId === null);
  const words = e.contentWords.length;
  if (entries.length + docs.length === 0 || (words > 0 && e.coverage < MIN_COVERAGE)) {
    const missing =
      e.uncoveredWords.length > 0
        ? ` (nothing in it mentions ${e.uncoveredWords.map((w) => `"${w}"`).join(', ')})`
        : '';
    return declined(
      e,
      `I cannot answer this from the indexed code${missing}. The built-in answerer answers from the knowledge graph only; configure an LLM (cogo llm catalog) for open questions.`,
    );
  }
  const lines = [
    'I cannot compose a full answer without a language model; this is the most relevant code the index holds for the question:',
    '',
  ];
  for (const i of entries) lines.push(`- ${describeDefinition(i)}`);
  for (const d of docs) lines.push(`- documentation: ${code(d.path)} (${span(d)})`);
  return {
    status: 'partial',
    lines,
    cited: [...entries, ...docs],
    confidence: Math.max(0.2, Math.round(0.6 * e.coverage * 100) / 100),
    followUps: entries.slice(0, 3).map((i) => `Who calls ${i.symbol}?`),
  };
}

/** Composes the answer for the question's intent from the evidence alone. */
export function composeBuiltinAnswer(e: EvidenceSet): LlmResponse {
  const { intent, subject } = e.classified;
  let composed: Composed;
  if (intent !== 'open' && e.subjects.length === 0)
    composed = declined(
      e,
      `No definition named ${code(subject ?? '')} is in the index${intent === 'exports' ? ' (no module has that path)' : ''}, so I cannot say. Names are matched exactly (a qualified name such as Class.method, or a bare name); a search lists near matches.`,
      false,
    );
  else if (intent === 'definition') composed = definitionAnswer(e);
  else if (intent === 'returns') composed = returnsAnswer(e);
  else if (intent === 'exports') composed = exportsAnswer(e);
  else if (intent === 'open') composed = openAnswer(e);
  else composed = relationAnswer(e, intent);
  const citations: Citation[] = [];
  const used: string[] = [];
  for (const item of composed.cited) {
    if (used.includes(item.id)) continue;
    used.push(item.id);
    if (citations.length < 50) citations.push(citationOf(item));
  }
  return {
    version: RESPONSE_VERSION,
    status: composed.status,
    answer: composed.lines.join('\n').trim() || 'I cannot answer this from the indexed code.',
    citations,
    confidence: Math.round(composed.confidence * 100) / 100,
    evidence_used: used.slice(0, 100),
    follow_ups: composed.followUps.slice(0, 5),
  };
}

/**
 * What the built-in answerer can do with a user's correction: quote it, and check the names it
 * writes in code form against the index (their definitions are in the evidence, cited).
 */
function correctionSection(e: EvidenceSet, correction: string): { lines: string[]; cited: EvidenceItem[] } {
  const lines = ['', '**Your correction**', '', `> ${correction.replace(/\n/g, '\n> ')}`, ''];
  const cited: EvidenceItem[] = [];
  for (const o of e.mentioned.found) {
    const def = e.items.find((i) => i.kind === 'schema' && i.objectId === o.id);
    if (!def) continue;
    lines.push(`- ${describeDefinition(def)}`);
    cited.push(def);
  }
  for (const name of e.mentioned.missing) lines.push(`- No definition named ${code(name)} is in the index.`);
  if (e.mentioned.found.length + e.mentioned.missing.length === 0)
    lines.push('It names no code I can check; the answer above is what the index shows.');
  return { lines, cited };
}

/** The built-in answerer; a revision drops what failed verification and composes again. */
export function createBuiltinAnswerer(): Answerer {
  return {
    name: BUILTIN_ANSWERER,
    async answer(input: AnswerInput, callbacks = {}): Promise<Draft> {
      const rejected = input.revision?.rejected ?? [];
      const bad = (i: EvidenceItem) =>
        rejected.some((c) => c.path === i.path && c.start_line >= i.startLine && c.end_line <= i.endLine);
      const evidence =
        rejected.length > 0
          ? { ...input.evidence, items: input.evidence.items.filter((i) => !bad(i)) }
          : input.evidence;
      let response = composeBuiltinAnswer(evidence);
      const correction = input.revision?.correction;
      if (correction) {
        const extra = correctionSection(evidence, correction);
        const known = new Set(response.evidence_used);
        const added = extra.cited.filter((i) => !known.has(i.id));
        response = {
          ...response,
          answer: `${response.answer}\n${extra.lines.join('\n')}`.slice(0, 20_000),
          citations: [...response.citations, ...added.map(citationOf)].slice(0, 50),
          evidence_used: [...response.evidence_used, ...added.map((i) => i.id)].slice(0, 100),
        };
      }
      callbacks.onDelta?.(response.answer);
      return { answerer: BUILTIN_ANSWERER, response, raw: JSON.stringify(response) };
    },
  };
}
