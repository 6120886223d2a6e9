/**
 * The built-in answerer: no model. Structural questions (where is X defined, who calls X, what does
 * X call or return, what implements X, what does module M export, what uses type T, what would a
 * change to X affect) are answered from the graph evidence; an open question gets the best evidence,
 * organised, as a `partial` answer; a question the index cannot answer is declined plainly.
 */
import { type Answerer, type AnswerInput, citationOf, type Draft } from './answerer.ts';
import { type Citation, type LlmResponse, RESPONSE_VERSION } from './contract.ts';
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

const RELATION_QUESTIONS: Partial<
  Record<QuestionIntent, { kinds: readonly string[]; direction: 'in' | 'out'; found: string; none: string }>
> = {
  callers: {
    kinds: ['calls'],
    direction: 'in',
    found: 'is called from',
    none: 'No calls to it are recorded in the index. cogo records a call only when the type checker resolves it to exactly one declaration, so calls through `any`, dynamic dispatch or callbacks are not counted.',
  },
  callees: {
    kinds: ['calls'],
    direction: 'out',
    found: 'calls',
    none: 'It makes no calls that the index resolved to one declaration.',
  },
  type_uses: {
    kinds: ['uses_type', 'returns_type'],
    direction: 'in',
    found: 'is used as a type by',
    none: 'No declaration in the index uses it as a type.',
  },
  implementations: {
    kinds: ['implements', 'extends'],
    direction: 'in',
    found: 'is implemented or extended by',
    none: 'Nothing in the index implements or extends it.',
  },
  impact: {
    kinds: ['impact'],
    direction: 'in',
    found: 'is depended on (calls, type uses, extends, implements, imports; up to 3 hops) by',
    none: 'Nothing in the index depends on it (no recorded calls, type uses, extends, implements or imports).',
  },
};

function relationAnswer(e: EvidenceSet, intent: QuestionIntent): Composed {
  const spec = RELATION_QUESTIONS[intent]!;
  const defs = schemaItems(e);
  const lines: string[] = [];
  const cited: EvidenceItem[] = [];
  let total = 0;
  for (const def of defs) {
    const related = e.items.filter(
      (i) =>
        i.relation?.subjectId === def.objectId &&
        i.relation.direction === spec.direction &&
        spec.kinds.includes(i.relation.kind),
    );
    cited.push(def);
    total += related.length;
    lines.push(sentence(describeDefinition(def)));
    if (related.length === 0) {
      lines.push(spec.none, '');
      continue;
    }
    const places = new Set(related.map((r) => `${r.symbol}@${r.path}:${r.startLine}`)).size;
    lines.push(`It ${spec.found} ${places} place${places === 1 ? '' : 's'}:`);
    const listed = new Set<string>();
    for (const r of related) {
      const other =
        spec.direction === 'in'
          ? nameOf(r)
          : `${r.relation!.other.kind} ${code(r.relation!.other.symbol)}${r.relation!.other.external ? ' (external)' : ''}`;
      const key = `${other}@${r.path}:${r.startLine}`;
      if (listed.has(key)) continue;
      listed.add(key);
      if (listed.size > MAX_LISTED) continue;
      const hops = r.relation && r.relation.depth > 1 ? ` (${r.relation.depth} hops away)` : '';
      lines.push(`- ${other} at ${code(r.path)} ${span(r)}${hops}`);
      cited.push(r);
    }
    if (listed.size > MAX_LISTED) lines.push(`- ... and ${listed.size - MAX_LISTED} more`);
    lines.push('');
  }
  return { status: 'answered', lines, cited, confidence: total > 0 ? 0.9 : 0.7, followUps: [] };
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

function exportsAnswer(e: EvidenceSet): Composed {
  const lines: string[] = [];
  const cited: EvidenceItem[] = [];
  for (const m of e.subjects.filter((s) => s.kind === 'module')) {
    const item = e.items.find((i) => i.kind === 'contains' && i.objectId === m.id);
    const exported = (item?.members ?? []).filter((x) => x.exported);
    if (!item) {
      // A module that declares nothing (an index.ts): what it exports comes from the modules it
      // imports and re-exports.
      const from = e.items.filter(
        (i) =>
          i.relation?.subjectId === m.id && i.relation.kind === 'imports' && i.relation.direction === 'out',
      );
      if (from.length === 0) continue;
      lines.push(
        `Module ${code(m.file_path ?? m.qualified_name)} declares nothing itself; it imports (and so can re-export) from ${from.length} module${from.length === 1 ? '' : 's'}:`,
      );
      for (const f of from.slice(0, MAX_LISTED))
        lines.push(`- ${code(f.relation!.other.symbol)} (${span(f)})`);
      lines.push(
        'Which of their names it re-exports is in the lines cited; the index records modules, not re-exported names.',
      );
      cited.push(...from.slice(0, MAX_LISTED));
      continue;
    }
    cited.push(item);
    if (exported.length === 0) {
      lines.push(
        `Module ${code(m.file_path ?? m.qualified_name)} exports no declarations the index records (it records functions, classes, interfaces and types, not variables).`,
      );
      continue;
    }
    lines.push(
      `Module ${code(m.file_path ?? m.qualified_name)} exports ${exported.length} declaration${exported.length === 1 ? '' : 's'} (functions, classes, interfaces, types; variables are not in the index):`,
    );
    for (const x of exported.slice(0, MAX_LISTED))
      lines.push(`- ${x.kind} ${code(x.name)} (${span(x)}): ${code(x.signature)}`);
    if (exported.length > MAX_LISTED) lines.push(`- ... and ${exported.length - MAX_LISTED} more`);
  }
  if (cited.length === 0)
    return declined(e, 'The module was found, but its member list did not fit in the evidence.');
  return { status: 'answered', lines, cited, confidence: 0.9, followUps: [] };
}

function definitionAnswer(e: EvidenceSet): Composed {
  const defs = schemaItems(e);
  const lines =
    defs.length === 1
      ? [sentence(describeDefinition(defs[0]!))]
      : [
          `${defs.length} declarations are named ${code(e.classified.subject ?? '')}:`,
          ...defs.map((d) => `- ${describeDefinition(d)}`),
        ];
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
