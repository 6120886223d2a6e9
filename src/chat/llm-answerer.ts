/**
 * The LLM answerer: the evidence goes into the prompt, the model (chosen by the router for service
 * `chat`) streams an LLM Response JSON v1 object as structured output, and the `answer` field is
 * passed on as it grows. The reply is validated with the contract's zod schema.
 */
import { Allow, parse as parsePartialJson } from 'partial-json';
import type { ChatMessage, LlmClient } from '../llm/index.ts';
import type { AnswerCallbacks, Answerer, AnswerInput, Draft } from './answerer.ts';
import { llmResponseJsonSchema, llmResponseSchema } from './contract.ts';
import { describeTotals } from './counts.ts';
import type { EvidenceSet } from './evidence.ts';

export const CHAT_SERVICE = 'chat';
export const LLM_ANSWERER = 'llm';
const DEFAULT_MAX_OUTPUT_TOKENS = 2000;
const HISTORY_TURNS = 6;

export interface LlmAnswererOptions {
  readonly llm: LlmClient;
  /** Ask the router for this model first (`provider/model`); it degrades to another when unhealthy. */
  readonly intendedModel?: string;
  readonly maxOutputTokens?: number;
}

const SYSTEM_PROMPT = `You answer questions about a code base for the tool cogo, from the evidence given and nothing else.
Rules:
- Use only facts in the evidence items [E1], [E2], ... Do not guess names, paths or line numbers.
- A long list is in the evidence only in part: state the count the graph gives under "Counts from the graph", and how many you list, never the number of items as the count.
- Write the answer in markdown; put identifiers and paths in backticks.
- Cite every claim: each citation is a path with start_line and end_line inside one evidence item's lines, and that item's object id (or null).
- List the ids of the evidence items you used in evidence_used.
- If the evidence does not answer the question, set status "cannot_answer" and say so plainly; if it answers part, "partial".
- Reply with one JSON object in the required schema (version "llm_response.v1"), nothing else.`;

/**
 * The evidence as the prompt shows it: one block per item, its id, kind, location and text; then
 * the graph's counts of the lists the items show only in part.
 */
export function formatEvidence(evidence: EvidenceSet): string {
  if (evidence.items.length === 0) return '(no evidence was found)';
  const blocks = evidence.items.map(
    (i) =>
      `[${i.id}] ${i.kind}: ${i.title}\npath: ${i.path}, lines ${i.startLine}-${i.endLine}, object_id: ${i.objectId ?? 'null'}\n${i.text}`,
  );
  const totals = describeTotals(evidence);
  if (totals.length > 0)
    blocks.push(`Counts from the graph (all of each list, not only the items above):\n${totals.join('\n')}`);
  return blocks.join('\n\n');
}

/** The chat messages for one answer attempt (first draft or revision). */
export function buildPrompt(input: AnswerInput): ChatMessage[] {
  const messages: ChatMessage[] = [{ role: 'system', content: SYSTEM_PROMPT }];
  for (const turn of input.history.slice(-HISTORY_TURNS))
    messages.push({ role: turn.role, content: turn.content });
  messages.push({
    role: 'user',
    content: `Question: ${input.question}\n\nEvidence:\n${formatEvidence(input.evidence)}`,
  });
  const r = input.revision;
  if (r) {
    messages.push({ role: 'assistant', content: r.previous.raw });
    const parts = ['Your answer has problems. Fix them and reply with the whole corrected JSON object.'];
    if (r.findings.length > 0) parts.push(...r.findings.map((f) => `- ${f}`));
    if (r.rejected.length > 0)
      parts.push(
        `Do not cite these again: ${r.rejected.map((c) => `${c.path}:${c.start_line}-${c.end_line}`).join(', ')}.`,
      );
    if (r.correction) parts.push(`The user says: ${r.correction}`);
    messages.push({ role: 'user', content: parts.join('\n') });
  }
  return messages;
}

/** Follows a streamed JSON object and reports what was added to its `answer` string. */
function answerFieldStreamer(onDelta: ((text: string) => void) | undefined) {
  let buffer = '';
  let emitted = '';
  return {
    push(delta: string) {
      buffer += delta;
      if (!onDelta) return;
      let value: unknown;
      try {
        value = parsePartialJson(buffer, Allow.ALL);
      } catch {
        return;
      }
      const answer = (value as { answer?: unknown } | null)?.answer;
      if (typeof answer !== 'string' || !answer.startsWith(emitted) || answer.length === emitted.length)
        return;
      onDelta(answer.slice(emitted.length));
      emitted = answer;
    },
    reset() {
      buffer = '';
      emitted = '';
    },
  };
}

/** Parses a reply as the contract: the object, or why it is not one. */
export function parseReply(raw: string): Pick<Draft, 'response' | 'parseError'> {
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return {
      response: null,
      parseError: `not JSON: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  const parsed = llmResponseSchema.safeParse(json);
  if (parsed.success) return { response: parsed.data };
  return {
    response: null,
    parseError: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; '),
  };
}

/** An answerer that asks a language model through the router (service `chat`). */
export function createLlmAnswerer(options: LlmAnswererOptions): Answerer {
  const schema = llmResponseJsonSchema();
  return {
    name: LLM_ANSWERER,
    async answer(input: AnswerInput, callbacks: AnswerCallbacks = {}): Promise<Draft> {
      const streamer = answerFieldStreamer(callbacks.onDelta);
      const result = await options.llm.complete(
        CHAT_SERVICE,
        {
          messages: buildPrompt(input),
          maxOutputTokens: options.maxOutputTokens ?? DEFAULT_MAX_OUTPUT_TOKENS,
          temperature: 0,
          responseFormat: { type: 'json', name: 'llm_response_v1', schema },
          ...(callbacks.signal ? { signal: callbacks.signal } : {}),
        },
        {
          ...((input.intendedModel ?? options.intendedModel)
            ? { intendedModel: input.intendedModel ?? options.intendedModel }
            : {}),
          onDelta: (text) => streamer.push(text),
          onRestart: (info) => {
            streamer.reset();
            callbacks.onRestart?.(`${info.from} failed (${info.reason}); ${info.to} answers instead`);
          },
        },
      );
      return {
        answerer: LLM_ANSWERER,
        raw: result.text,
        ...parseReply(result.text),
        usage: {
          servedModel: result.servedModelId,
          intendedModel: result.intendedModelId,
          decisionId: result.decisionId,
          inputTokens: result.usage.inputTokens,
          outputTokens: result.usage.outputTokens,
          costUsd: result.costUsd,
        },
      };
    },
  };
}
