/**
 * LLM Response JSON v1 (docs/specs/LLM_RESPONSE_JSON_V1.md): the one shape every answerer returns,
 * the LLM (enforced as structured output with `llmResponseJsonSchema`) and the built-in one alike.
 */
import { z } from 'zod';

export const RESPONSE_VERSION = 'llm_response.v1';

/** What the answer's claims rest on: lines of one file, and the graph object they belong to. */
export const citationSchema = z
  .strictObject({
    path: z.string().min(1).max(1000),
    start_line: z.number().int().min(1),
    end_line: z.number().int().min(1),
    object_id: z.string().min(1).max(200).nullable(),
  })
  .refine((c) => c.end_line >= c.start_line, {
    message: 'end_line must be >= start_line',
    path: ['end_line'],
  });

export const ANSWER_STATUSES = ['answered', 'partial', 'cannot_answer'] as const;
export type AnswerStatus = (typeof ANSWER_STATUSES)[number];

// `answer` comes first: a model writes structured output in the schema's property order, so the
// answer's text starts streaming with its first tokens instead of after a preamble.
export const llmResponseSchema = z.strictObject({
  /** Markdown. */
  answer: z.string().min(1).max(20_000),
  /** `cannot_answer`: the evidence does not answer the question, and the answer says so plainly. */
  status: z.enum(ANSWER_STATUSES),
  citations: z.array(citationSchema).max(50),
  /** 0..1, the answerer's own estimate. */
  confidence: z.number().min(0).max(1),
  /** Ids of the evidence items the answer used (each citation points into one of them). */
  evidence_used: z.array(z.string().min(1).max(200)).max(100),
  follow_ups: z.array(z.string().min(1).max(300)).max(5),
  version: z.literal(RESPONSE_VERSION),
});

export type Citation = z.infer<typeof citationSchema>;
export type LlmResponse = z.infer<typeof llmResponseSchema>;

/**
 * The contract as JSON Schema, for a provider's structured output (OpenAI `json_schema` strict mode,
 * Anthropic's forced tool): every property required, no others.
 */
export function llmResponseJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(llmResponseSchema, { target: 'draft-7', io: 'output' }) as Record<string, unknown>;
}
