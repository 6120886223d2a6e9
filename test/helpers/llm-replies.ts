import { type LlmResponse, RESPONSE_VERSION } from '../../src/chat/index.ts';
import type { Db } from '../../src/db/index.ts';
import { applyCatalog, catalogSchema } from '../../src/llm/index.ts';

type Citation = LlmResponse['citations'][number];

/** The citation of an indexed declaration's lines, for a scripted model's answer. */
export async function citationOfSymbol(db: Db, qualifiedName: string): Promise<Citation> {
  const { rows } = await db.query<{ id: string; file_path: string; start_line: number; end_line: number }>(
    'select id, file_path, start_line, end_line from cbo_objects where qualified_name = $1 order by id limit 1',
    [qualifiedName],
  );
  const o = rows[0];
  if (!o) throw new Error(`no indexed declaration named ${qualifiedName}`);
  return { path: o.file_path, start_line: o.start_line, end_line: o.end_line, object_id: o.id };
}

/** An LLM Response JSON v1 object, answered, for the wire-protocol server to send as structured output. */
export function contractReply(answer: string, citations: readonly Citation[]): LlmResponse {
  return {
    version: RESPONSE_VERSION,
    status: 'answered',
    answer,
    citations: [...citations],
    confidence: 0.8,
    evidence_used: ['E1'],
    follow_ups: [],
  };
}

/** One OpenAI-compatible provider `local` at the test server with these models, routed for `chat`. */
export async function applyLocalChatCatalog(
  db: Db,
  serverUrl: string,
  models: readonly string[],
): Promise<void> {
  await applyCatalog(
    db,
    catalogSchema.parse({
      providers: [{ id: 'local', kind: 'openai-compatible', baseUrl: `${serverUrl}/v1` }],
      models: models.map((model) => ({
        provider: 'local',
        model,
        capabilityClass: 'chat',
        contextWindow: 100_000,
      })),
      policies: [{ service: 'chat', capabilityClass: 'chat' }],
    }),
  );
}
