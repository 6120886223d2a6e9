import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Draft } from './answerer.ts';
import { type LlmResponse, RESPONSE_VERSION } from './contract.ts';
import { compileCritic, contractCritic, groundednessCritic } from './critics.ts';
import type { EvidenceItem, EvidenceSet } from './evidence.ts';

const response = (over: Partial<LlmResponse> = {}): LlmResponse => ({
  version: RESPONSE_VERSION,
  status: 'answered',
  answer: '`loadConfig` is in `src/core/config.ts`.',
  citations: [{ path: 'src/core/config.ts', start_line: 1, end_line: 3, object_id: null }],
  confidence: 0.8,
  evidence_used: ['E1'],
  follow_ups: [],
  ...over,
});
const draft = (r: LlmResponse | null, raw = ''): Draft => ({ answerer: 'test', response: r, raw });
const item: EvidenceItem = {
  id: 'E1',
  kind: 'schema',
  objectId: null,
  objectKind: 'function',
  symbol: 'loadConfig',
  signature: 'export function loadConfig(env: Env): CogoConfig',
  path: 'src/core/config.ts',
  startLine: 1,
  endLine: 3,
  contentHash: 'x',
  title: 'function loadConfig',
  text: 'function loadConfig',
};
const evidence = {
  question: 'Where is loadConfig?',
  classified: { intent: 'definition', subject: 'loadConfig', candidates: [], usage: false },
  subjects: [],
  names: [],
  entries: [],
  items: [item],
  totals: [],
  tokens: 10,
  budgetTokens: 100,
  dropped: 0,
  skipped: [],
  uncoveredWords: [],
  contentWords: [],
  coverage: 1,
  mentioned: { found: [], missing: [] },
} satisfies EvidenceSet;
const hasPython = spawnSync('python3', ['--version']).status === 0;

describe('critics', () => {
  it('contract: fails an unparsed reply, unknown evidence ids, and an answer without citations', () => {
    expect(contractCritic(draft(null), evidence).outcome).toBe('fail');
    expect(contractCritic(draft(response({ evidence_used: ['E9'] })), evidence).findings[0]).toMatch(/E9/);
    expect(contractCritic(draft(response({ citations: [] })), evidence).findings[0]).toMatch(/no citations/);
    expect(
      contractCritic(draft(response({ status: 'cannot_answer', citations: [] })), evidence).outcome,
    ).toBe('pass');
    expect(contractCritic(draft(response()), evidence).outcome).toBe('pass');
  });

  it('groundedness: fails identifiers and paths the evidence does not contain', () => {
    expect(groundednessCritic(draft(response()), evidence).outcome).toBe('pass');
    const invented = groundednessCritic(
      draft(
        response({
          answer: '`loadConfig` calls `parseEnvFile` in src/core/env-file.ts, returning a `CogoConfig`.',
        }),
      ),
      evidence,
    );
    expect(invented.outcome).toBe('fail');
    expect(invented.findings.join(' ')).toMatch(/parseEnvFile/);
    expect(invented.findings.join(' ')).toMatch(/src\/core\/env-file\.ts/);
    expect(invented.findings.join(' ')).not.toMatch(/CogoConfig/);
  });

  it('compile: parses TypeScript blocks with tsc and skips answers without code', async () => {
    expect((await compileCritic(draft(response()))).outcome).toBe('skipped');
    const ok = await compileCritic(draft(response({ answer: 'Use:\n```ts\nconst x: number = 1;\n```' })));
    expect(ok.outcome).toBe('pass');
    const broken = await compileCritic(draft(response({ answer: '```typescript\nfunction f( {\n```' })));
    expect(broken.outcome).toBe('fail');
    expect(broken.findings[0]).toMatch(/code block 1 \(typescript\) does not compile/);
  });

  it.skipIf(!hasPython)('compile: checks Python blocks with Python’s own compile', async () => {
    const ok = await compileCritic(draft(response({ answer: '```python\ndef f(x):\n    return x\n```' })));
    expect(ok.outcome).toBe('pass');
    const broken = await compileCritic(draft(response({ answer: '```py\ndef f(x)\n    return x\n```' })));
    expect(broken.outcome).toBe('fail');
    expect(broken.findings[0]).toMatch(/SyntaxError/);
  });
});
