/**
 * The critics (docs/specs/SELF_CORRECTION_FEEDBACK_LOOP_V1.md): checks every draft goes through.
 * One place for them, so the self-correction loop and the quality runner use the same code.
 */
import { spawn } from 'node:child_process';
import ts from 'typescript';
import { z } from 'zod';
import type { Draft } from './answerer.ts';
import { type CitationCheck, verifyCitations } from './citations.ts';
import { llmResponseSchema } from './contract.ts';
import type { EvidenceSet } from './evidence.ts';
import type { RepoReader } from './repo-files.ts';

export const CRITIC_NAMES = ['contract', 'citations', 'groundedness', 'compile'] as const;
export type CriticName = (typeof CRITIC_NAMES)[number];
export const CRITIC_OUTCOMES = ['pass', 'fail', 'skipped'] as const;
export type CriticOutcome = (typeof CRITIC_OUTCOMES)[number];

/** One critic's verdict on a draft, as stored in `chat_messages.critics` and sent as SSE `critics`. */
export const criticResultSchema = z.strictObject({
  critic: z.enum(CRITIC_NAMES),
  outcome: z.enum(CRITIC_OUTCOMES),
  /** What is wrong, in words an answerer can act on; empty unless it failed. */
  findings: z.array(z.string().min(1)),
});
export type CriticResult = z.infer<typeof criticResultSchema>;

/** The critics of one round (0: the first draft), as stored in `chat_messages.critics`. */
export const criticRoundSchema = z.strictObject({
  round: z.number().int().min(0),
  results: z.array(criticResultSchema),
});

export interface CriticContext {
  readonly evidence: EvidenceSet;
  readonly reader: RepoReader;
}

export interface CriticReport {
  readonly results: readonly CriticResult[];
  readonly ok: boolean;
  readonly citations: CitationCheck;
}

const pass = (critic: CriticName): CriticResult => ({ critic, outcome: 'pass', findings: [] });
const result = (critic: CriticName, findings: string[]): CriticResult =>
  findings.length === 0 ? pass(critic) : { critic, outcome: 'fail', findings };

/** Contract conformance: the draft parses as LLM Response JSON v1 and is consistent with its evidence. */
export function contractCritic(draft: Draft, evidence: EvidenceSet): CriticResult {
  if (!draft.response)
    return result('contract', [
      `the reply is not an LLM Response JSON v1 object: ${draft.parseError ?? 'unparsed'}`,
    ]);
  const parsed = llmResponseSchema.safeParse(draft.response);
  if (!parsed.success)
    return result(
      'contract',
      parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    );
  const r = parsed.data;
  const findings: string[] = [];
  const ids = new Set(evidence.items.map((i) => i.id));
  const unknown = r.evidence_used.filter((id) => !ids.has(id));
  if (unknown.length > 0)
    findings.push(`evidence_used names evidence that was not given: ${unknown.join(', ')}`);
  if (r.status === 'answered' && r.citations.length === 0)
    findings.push(
      'status is "answered" but there are no citations; cite the evidence or say "partial"/"cannot_answer"',
    );
  return result('contract', findings);
}

// Words of the language itself, grounded wherever they appear.
const LANGUAGE_WORDS = new Set(
  (
    'any unknown never void null undefined string number boolean bigint symbol object true false this new ' +
    'function class interface type enum const let var async await return import export from extends implements ' +
    'Promise Array Record Map Set Error Date RegExp JSON Object String Number Boolean readonly keyof typeof ' +
    'def self None True False lambda yield'
  ).split(' '),
);
const CODE_SPAN = /`([^`\n]{2,120})`/g;
const PATH_LIKE = /(?:^|[\s(])((?:[\w.-]+\/)+[\w.-]+\.[A-Za-z]{1,5})(?=[\s),.:;]|$)/g;

/**
 * Groundedness: every identifier the answer writes as code and every file path it names must appear
 * in the evidence (as a symbol, a signature, a path or quoted text). Claims in prose are checked
 * through the names they rest on.
 */
export function groundednessCritic(draft: Draft, evidence: EvidenceSet): CriticResult {
  if (!draft.response) return { critic: 'groundedness', outcome: 'skipped', findings: [] };
  const answer = draft.response.answer.replace(/```[\s\S]*?```/g, ' ');
  const haystack = [
    evidence.question,
    ...evidence.items.flatMap((i) => [i.path, i.symbol ?? '', i.signature ?? '', i.title, i.text]),
  ].join('\n');
  const missing = new Set<string>();
  for (const m of answer.matchAll(CODE_SPAN)) {
    const span = m[1]!.trim();
    // Check identifiers: a code span is grounded when each identifier in it appears in the evidence.
    const names = span.match(/[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*/g) ?? [];
    for (const n of names) {
      if (n.length < 3 || LANGUAGE_WORDS.has(n)) continue;
      const parts = n.split('.');
      if (!haystack.includes(n) && !parts.every((p) => haystack.includes(p))) missing.add(n);
    }
  }
  for (const m of answer.matchAll(PATH_LIKE)) if (!haystack.includes(m[1]!)) missing.add(m[1]!);
  return result(
    'groundedness',
    [...missing]
      .slice(0, 20)
      .map((n) => `"${n}" does not appear in the evidence; remove it or base the claim on the evidence`),
  );
}

/** Citation validity: each citation lies in gathered evidence, at lines that exist, in an unchanged file. */
export async function citationCritic(
  draft: Draft,
  context: CriticContext,
): Promise<{ result: CriticResult; check: CitationCheck }> {
  if (!draft.response)
    return {
      result: { critic: 'citations', outcome: 'skipped', findings: [] },
      check: { valid: [], rejected: [] },
    };
  const check = await verifyCitations(draft.response.citations, context.evidence.items, context.reader);
  return {
    result: result(
      'citations',
      check.rejected.map(
        (r) =>
          `citation ${r.citation.path}:${r.citation.start_line}-${r.citation.end_line} is invalid (${r.reason}): ${r.message}`,
      ),
    ),
    check,
  };
}

interface CodeBlock {
  readonly language: string;
  readonly code: string;
}

function codeBlocks(answer: string): CodeBlock[] {
  return [...answer.matchAll(/```([\w+-]*)[^\n]*\n([\s\S]*?)```/g)].map((m) => ({
    language: m[1]!.toLowerCase(),
    code: m[2]!,
  }));
}

const TS_LANGUAGES = new Set(['ts', 'typescript', 'tsx', 'js', 'javascript', 'jsx', 'mts', 'cts']);
const PY_LANGUAGES = new Set(['py', 'python', 'python3']);
const PYTHON_TIMEOUT_MS = 5000;

function typescriptSyntaxErrors(block: CodeBlock): string[] {
  const out = ts.transpileModule(block.code, {
    reportDiagnostics: true,
    fileName: block.language.includes('x') ? 'answer.tsx' : 'answer.ts',
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  });
  return (out.diagnostics ?? []).map((d) => {
    const pos = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
    return `${pos ? `line ${pos.line + 1}: ` : ''}${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}

/** Python's own `compile` on the block, in a child process; null when no python3 runs here. */
function pythonSyntaxErrors(block: CodeBlock): Promise<string[] | null> {
  return new Promise((resolve) => {
    const child = spawn('python3', ['-c', 'import sys\ncompile(sys.stdin.read(), "<answer>", "exec")'], {
      stdio: ['pipe', 'ignore', 'pipe'],
      timeout: PYTHON_TIMEOUT_MS,
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    child.on('error', () => resolve(null));
    child.on('close', (status) => {
      if (status === 0) resolve([]);
      else resolve([stderr.trim().split('\n').slice(-2).join(' ') || `python3 exited with ${status}`]);
    });
    child.stdin.end(block.code);
  });
}

/** Code blocks in the answer compile: TypeScript by `tsc`'s parser, Python by Python's `compile`. */
export async function compileCritic(draft: Draft): Promise<CriticResult> {
  const blocks = draft.response ? codeBlocks(draft.response.answer) : [];
  const checked = blocks.filter((b) => TS_LANGUAGES.has(b.language) || PY_LANGUAGES.has(b.language));
  if (checked.length === 0) return { critic: 'compile', outcome: 'skipped', findings: [] };
  const findings: string[] = [];
  let ran = 0;
  for (const [n, b] of checked.entries()) {
    const errors = TS_LANGUAGES.has(b.language) ? typescriptSyntaxErrors(b) : await pythonSyntaxErrors(b);
    if (errors === null) continue;
    ran++;
    for (const e of errors.slice(0, 5))
      findings.push(`code block ${n + 1} (${b.language}) does not compile: ${e}`);
  }
  if (ran === 0) return { critic: 'compile', outcome: 'skipped', findings: [] };
  return result('compile', findings);
}

/** Runs every critic on a draft. */
export async function runCritics(draft: Draft, context: CriticContext): Promise<CriticReport> {
  const contract = contractCritic(draft, context.evidence);
  const { result: citations, check } = await citationCritic(draft, context);
  const results = [
    contract,
    citations,
    groundednessCritic(draft, context.evidence),
    await compileCritic(draft),
  ];
  return { results, ok: results.every((r) => r.outcome !== 'fail'), citations: check };
}
