/**
 * What a question asks: one of the structural intents the graph answers directly, with the symbol it
 * is about, or an open question. Shared by evidence gathering (what to collect) and the built-in
 * answerer (how to answer).
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

export interface ClassifiedQuestion {
  readonly intent: QuestionIntent;
  /** The symbol, qualified name or module path the question is about; null for open questions. */
  readonly subject: string | null;
}

// A symbol as a question writes it: `Foo.bar`, Foo.bar(), src/kg/queries.ts, load_config.
const SUBJECT = String.raw`\x60?([A-Za-z_$][\w$]*(?:[./-][\w$]+)*(?:\.[jt]sx?|\.py)?)(?:\(\))?\x60?`;
const TAIL = String.raw`\s*(?:[?.!]\s*)?$`;

// Order matters: the first pattern that matches wins ("what does X return" before "what does X call").
const PATTERNS: ReadonlyArray<readonly [QuestionIntent, RegExp]> = [
  [
    'callers',
    new RegExp(
      String.raw`^(?:who|what|which \w+)\s+(?:calls|invokes|uses the function)\s+${SUBJECT}${TAIL}`,
      'i',
    ),
  ],
  [
    'callers',
    new RegExp(
      String.raw`^(?:where|from where)\s+is\s+${SUBJECT}\s+(?:called|invoked)(?:\s+from)?${TAIL}`,
      'i',
    ),
  ],
  [
    'callers',
    new RegExp(String.raw`^(?:list\s+|show\s+|find\s+)?(?:the\s+)?callers\s+of\s+${SUBJECT}${TAIL}`, 'i'),
  ],
  [
    'callees',
    new RegExp(String.raw`^what\s+(?:functions\s+|methods\s+)?does\s+${SUBJECT}\s+call${TAIL}`, 'i'),
  ],
  ['callees', new RegExp(String.raw`^(?:list\s+|show\s+)?(?:the\s+)?callees\s+of\s+${SUBJECT}${TAIL}`, 'i')],
  ['returns', new RegExp(String.raw`^what\s+(?:type\s+)?does\s+${SUBJECT}\s+return${TAIL}`, 'i')],
  ['returns', new RegExp(String.raw`^what\s+is\s+the\s+return\s+type\s+of\s+${SUBJECT}${TAIL}`, 'i')],
  [
    'implementations',
    new RegExp(
      String.raw`^(?:what|which\s+\w+|who)\s+(?:implements|extends|implement|extend)\s+${SUBJECT}${TAIL}`,
      'i',
    ),
  ],
  [
    'implementations',
    new RegExp(
      String.raw`^(?:list\s+|show\s+)?(?:the\s+)?(?:implementations|subclasses|subtypes)\s+of\s+${SUBJECT}${TAIL}`,
      'i',
    ),
  ],
  [
    'exports',
    new RegExp(String.raw`^what\s+does\s+(?:the\s+)?(?:module\s+|file\s+)?${SUBJECT}\s+export${TAIL}`, 'i'),
  ],
  [
    'exports',
    new RegExp(
      String.raw`^(?:list\s+|show\s+)?(?:the\s+)?exports\s+of\s+(?:the\s+)?(?:module\s+|file\s+)?${SUBJECT}${TAIL}`,
      'i',
    ),
  ],
  [
    'type_uses',
    new RegExp(String.raw`^(?:what|who|which\s+\w+)\s+uses\s+(?:the\s+)?type\s+${SUBJECT}${TAIL}`, 'i'),
  ],
  ['type_uses', new RegExp(String.raw`^where\s+is\s+(?:the\s+)?type\s+${SUBJECT}\s+used${TAIL}`, 'i')],
  [
    'impact',
    new RegExp(
      String.raw`^what\s+(?:would|could|does)\s+(?:a\s+)?change\s+(?:to|in)\s+${SUBJECT}\s+(?:affect|break|impact)${TAIL}`,
      'i',
    ),
  ],
  [
    'impact',
    new RegExp(
      String.raw`^what\s+(?:breaks|would break|is affected)\s+if\s+(?:I\s+|we\s+|you\s+)?(?:change|changed|modify|edit)\s+${SUBJECT}${TAIL}`,
      'i',
    ),
  ],
  [
    'impact',
    new RegExp(String.raw`^(?:what\s+is\s+)?(?:the\s+)?impact\s+of\s+(?:changing\s+)?${SUBJECT}${TAIL}`, 'i'),
  ],
  [
    'definition',
    new RegExp(String.raw`^where\s+(?:is|are)\s+${SUBJECT}\s+(?:defined|declared|implemented)${TAIL}`, 'i'),
  ],
  [
    'definition',
    new RegExp(
      String.raw`^(?:where\s+is|find|show(?:\s+me)?|define)\s+(?:the\s+)?(?:definition\s+of\s+)?${SUBJECT}${TAIL}`,
      'i',
    ),
  ],
];

/**
 * Classifies a question by its form. Only the forms in `PATTERNS` are structural; anything else,
 * including a structural question about several symbols, is `open`.
 *
 * @example
 * classifyQuestion('Who calls `loadConfig`?') // { intent: 'callers', subject: 'loadConfig' }
 */
export function classifyQuestion(question: string): ClassifiedQuestion {
  const q = question.trim().replace(/\s+/g, ' ');
  for (const [intent, pattern] of PATTERNS) {
    const m = pattern.exec(q);
    if (m?.[1]) return { intent, subject: m[1] };
  }
  return { intent: 'open', subject: null };
}
