/**
 * What a question asks: one of the structural intents the graph answers directly, with the symbols
 * it is about, or an open question. Shared by evidence gathering (what to collect) and the built-in
 * answerer (how to answer). The intent comes from the question's verbs, the subjects from the words
 * it writes as code; evidence gathering then checks the subjects against the index.
 */

export const QUESTION_INTENTS = [
  'definition',
  'callers',
  'callees',
  'returns',
  'implementations',
  'exports',
  'type_uses',
  'impact',
  'open',
] as const;
export type QuestionIntent = (typeof QUESTION_INTENTS)[number];

/** How sure the words are to be a symbol: written as code (`x`, camelCase, a path), or a capitalised or module word. */
export type SubjectStrength = 'code' | 'word';

export interface SubjectCandidate {
  readonly text: string;
  readonly strength: SubjectStrength;
  /** "the migrator module": a module named by a plain word. */
  readonly module: boolean;
}

export interface ClassifiedQuestion {
  readonly intent: QuestionIntent;
  /** The first subject, or null for open questions. */
  readonly subject: string | null;
  /** Every symbol the question may be about, most certain first (code-form words, then plain ones). */
  readonly candidates: readonly SubjectCandidate[];
  /** `callers` asked with a generic verb (used, uses, refers to): for a type it means `type_uses`. */
  readonly usage: boolean;
}

// Words that start a sentence or name the language, never a symbol of the code.
const NOT_SYMBOLS = new Set(
  (
    'I A An The What Which Who Whom Whose Where When Why How Is Are Was Were Do Does Did Can Could Should ' +
    'Would Will Show List Find Give Tell Explain If In On Of For From To With Without And Or Not Any Some ' +
    'There This That These Those It Its TypeScript JavaScript Python Node npm JSON SQL HTTP API CLI SSE LLM ' +
    'OpenAI Anthropic Postgres PGlite Supabase README'
  ).split(' '),
);

const BACKTICKED = /`([^`\n]{1,200})`/g;
const PATH = /(?<![\w./-])((?:[\w.-]+\/)*[\w.-]+\.(?:tsx?|mts|cts|jsx?|mjs|cjs|py))(?![\w/])/g;
const DOTTED_OR_CALLED = /(?<![\w$.])([A-Za-z_$][\w$]*(?:\.[A-Za-z_$#][\w$]*)+|[A-Za-z_$][\w$]*\(\))/g;
const CAMEL_OR_SNAKE =
  /(?<![\w$.])([a-z_$][\w$]*[A-Z][\w$]*|[A-Za-z][a-z0-9]*_[\w]+|[A-Z][a-z0-9]+[A-Z][\w$]*)(?![\w$])/g;
const CAPITALISED = /(?<![\w$.])([A-Z][A-Za-z0-9]*)(?![\w$.])/g;
const SLASHED = /(?<![\w./-])((?:[\w.-]+\/)+[\w.-]+)(?![\w/])/g;
const WORD = /(?<![\w$.`/-])([A-Za-z_$][\w$]{2,})(?![\w$`/])/g;
// Words of questions and of the intents themselves: never taken as a symbol's plain name.
const FILLER = new Set(
  (
    'the and are was were does did can could should would will with without from into about what which who ' +
    'whom whose where when why how this that these those there their them they you your our its any all each ' +
    'every some one ones other others anything anywhere something place places code file files function ' +
    'functions method methods class classes module modules type types interface interfaces symbol symbols ' +
    'call calls called calling caller callers callee callees invoke invokes invoked use uses used using usage ' +
    'usages return returns returned returning define defines defined definition declare declared declaration ' +
    'implement implements implemented implementation implementations extend extends extended export exports ' +
    'exported expose exposes exposed change changes changed changing affect affects affected impact break ' +
    'breaks depend depends dependent dependents refer refers reference references referenced take takes ' +
    'accept accepts receive receives find show list tell give lives live located location subclass subclasses ' +
    'public api also besides else just only here then than not but has have had let get gets set sets make ' +
    'makes new old same like'
  ).split(' '),
);
const MODULE_WORD = /\b(?:the\s+)?([a-z][\w-]*)\s+(?:module|file)\b|\b(?:module|file)\s+([a-z][\w-]*)\b/gi;

function subjectCandidates(question: string): SubjectCandidate[] {
  const out: SubjectCandidate[] = [];
  const seen = new Set<string>();
  const add = (raw: string, strength: SubjectStrength, module = false, backticked = false) => {
    const text = raw
      .trim()
      .replace(/\(\)$/, '')
      .replace(/[?.!,:;]+$/, '');
    // A name of the language or a tool (`TypeScript`, `JSON`) is a symbol only when written in backticks.
    if (text.length === 0 || seen.has(text) || (!backticked && NOT_SYMBOLS.has(text))) return;
    seen.add(text);
    out.push({ text, strength, module });
  };
  for (const m of question.matchAll(BACKTICKED)) {
    const inner = m[1]!.trim();
    if (/^[\w$./#-]+(\(\))?$/.test(inner)) add(inner, 'code', false, true);
  }
  const plain = question.replace(BACKTICKED, ' ');
  for (const m of plain.matchAll(PATH)) add(m[1]!, 'code');
  for (const m of plain.matchAll(SLASHED)) add(m[1]!, 'code');
  for (const m of plain.matchAll(DOTTED_OR_CALLED)) if (!PATH.test(m[1]!)) add(m[1]!, 'code');
  for (const m of plain.matchAll(CAMEL_OR_SNAKE)) add(m[1]!, 'code');
  for (const m of plain.matchAll(MODULE_WORD)) {
    const word = m[1] ?? m[2];
    if (
      word &&
      !['the', 'a', 'this', 'that', 'which', 'what', 'each', 'every', 'one'].includes(word.toLowerCase())
    )
      add(word, 'word', true);
  }
  for (const m of plain.matchAll(CAPITALISED)) add(m[1]!, 'word');
  // A plain lowercase word may be a symbol too (`run`, `migrate`); the index decides.
  for (const m of plain.matchAll(WORD)) if (!FILLER.has(m[1]!.toLowerCase())) add(m[1]!, 'word');
  PATH.lastIndex = 0;
  return out;
}

const has = (q: string, pattern: RegExp) => pattern.test(q);

/** Does the question put the subject before the calling verb ("what does X call", "called by X")? */
function asksCallees(q: string, subject: string): boolean {
  const s = subject.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return (
    new RegExp(
      `\\b(?:does|do|did)\\s+\`?${s}(?:\\(\\))?\`?\\s+(?:\\w+\\s+)?(?:call|invoke|use|depend on)\\b`,
      'i',
    ).test(q) ||
    new RegExp(`\\b(?:called|invoked|used)\\s+(?:from|by|in|inside|within)\\s+\`?${s}\\b`, 'i').test(q) ||
    new RegExp(`\\b${s}\`?(?:\\(\\))?\\s+(?:calls|invokes)\\b`, 'i').test(q) ||
    /\bcallees\b/i.test(q)
  );
}

function intentOf(q: string, subject: SubjectCandidate): { intent: QuestionIntent; usage: boolean } {
  const text = q.toLowerCase();
  const is = (intent: QuestionIntent, usage = false) => ({ intent, usage });
  if (
    has(
      text,
      /\b(affect(s|ed|ing)?|impact(s|ed)?|break(s|ing)?|ripple|blast radius|depend(s|ing)? on( it)?|dependents|downstream)\b/,
    ) ||
    has(text, /\bif (i|we|you|someone) (change|changed|modify|modified|edit|rename|remove|delete)\b/)
  )
    return is('impact');
  if (has(text, /\breturn(s|ed|ing)?\b|\breturn type\b|\boutput type\b/)) return is('returns');
  if (
    has(
      text,
      /\b(implement(s|ed|ing|ations?|ers?)?|extend(s|ed|ing)?|subclass(es|ed)?|subtypes?|inherit(s|ed)?|derive(s|d)? from)\b/,
    )
  )
    return is('implementations');
  if (
    has(text, /\b(export(s|ed|ing)?|expose(s|d)?|public (api|face|interface|surface))\b/) ||
    has(text, /\b(can|could|do|should) (i|we|you) import from\b/) ||
    (subject.module && has(text, /\bcontain(s)?\b/))
  )
    return is('exports');
  if (has(text, /\b(call(s|ed|ing|ers?)?|invoke(s|d)?|invocations?|callees?)\b/))
    return asksCallees(q, subject.text) ? is('callees') : is('callers');
  if (has(text, /\b(take|takes|accept|accepts|receive|receives)\b/)) return is('type_uses');
  if (has(text, /\buses? (of )?(the )?type\b|\bof type\b|\btyped as\b/)) return is('type_uses');
  if (has(text, /\b(used|uses|using|usages?|refer(s|red)? to|references?|referenced|relies on|rely on)\b/))
    return asksCallees(q, subject.text) ? is('callees') : is('callers', true);
  if (
    has(text, /\b(defin(ed|e|es|ition)|declar(ed|e|es|ation)|implemented|located?|lives?|live)\b/) ||
    has(
      text,
      /\b(where is|where are|which file|what file|in which file|in what file|find|show me|look up|point me to|where can i find|where do i find)\b/,
    )
  )
    return is('definition');
  return is('open');
}

/**
 * Classifies a question: its intent from its verbs (impact, returns, implementations, exports, calls,
 * type uses, definition — first match in that order), its subjects from the words it writes as code.
 * A question with no symbol in it, or no structural verb, is `open`.
 *
 * @example
 * classifyQuestion('Who calls `loadConfig`?') // { intent: 'callers', subject: 'loadConfig', ... }
 */
export function classifyQuestion(question: string): ClassifiedQuestion {
  const q = question.trim().replace(/\s+/g, ' ');
  const candidates = subjectCandidates(q);
  const first = candidates[0];
  if (!first) return { intent: 'open', subject: null, candidates: [], usage: false };
  const { intent, usage } = intentOf(q, first);
  // How-and-why questions ask for an explanation, even when they name a symbol and a verb.
  if (intent === 'open' || (/^(how(?! many)|why)\b/i.test(q) && intent !== 'impact'))
    return { intent: 'open', subject: null, candidates, usage: false };
  return { intent, subject: first.text, candidates, usage };
}
