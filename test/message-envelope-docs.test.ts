// docs/specs/MESSAGE_SCHEMA_V1.md is kept true here: its examples parse with the schema the code
// uses, its invalid examples fail on the fields it names, and its field table lists exactly the
// envelope's fields.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { chatAnswerMessage, chatEventMessage } from '../src/chat/index.ts';
import { envelopeSchema } from '../src/core/index.ts';

const SPEC = readFileSync(new URL('../docs/specs/MESSAGE_SCHEMA_V1.md', import.meta.url), 'utf8');

interface MarkedJson {
  readonly line: number;
  readonly args: string;
  readonly value: unknown;
}

/** Every ```json block after a `<!-- <marker>: envelope [args] -->` comment; a marker without one throws. */
function marked(marker: string): MarkedJson[] {
  const lines = SPEC.split('\n');
  const out: MarkedJson[] = [];
  const pattern = new RegExp(`^<!-- ${marker}: envelope ?(\\S*) -->\\s*$`);
  for (let i = 0; i < lines.length; i++) {
    const match = pattern.exec(lines[i]!);
    if (!match) continue;
    let open = i + 1;
    while (lines[open]?.trim() === '') open++;
    if (lines[open] !== '```json')
      throw new Error(`line ${i + 1}: ${marker} is not followed by a json block`);
    const close = lines.indexOf('```', open + 1);
    if (close < 0) throw new Error(`line ${open + 1}: unterminated block`);
    out.push({
      line: open + 2,
      args: match[1] ?? '',
      value: JSON.parse(lines.slice(open + 1, close).join('\n')) as unknown,
    });
  }
  return out;
}

describe('docs/specs/MESSAGE_SCHEMA_V1.md', () => {
  it('has examples, and every one is a valid envelope', () => {
    const examples = marked('example');
    expect(examples.length).toBeGreaterThanOrEqual(2);
    for (const example of examples) {
      const result = envelopeSchema.safeParse(example.value);
      expect(result.success ? [] : result.error.issues, `example at line ${example.line}`).toEqual([]);
    }
  });

  it('has invalid examples, and each fails on exactly the fields it names', () => {
    const invalid = marked('invalid-example');
    expect(invalid.length).toBeGreaterThanOrEqual(2);
    for (const example of invalid) {
      const result = envelopeSchema.safeParse(example.value);
      expect(result.success, `invalid example at line ${example.line}`).toBe(false);
      const fields = [...new Set(result.error?.issues.map((i) => String(i.path[0])))].sort();
      expect(fields, `invalid example at line ${example.line}`).toEqual(example.args.split(',').sort());
    }
  });

  it('lists exactly the fields of the envelope in its table', () => {
    const section = SPEC.slice(SPEC.indexOf('## Fields'), SPEC.indexOf('## Rules'));
    const documented = [...section.matchAll(/^\| `([a-z_]+)` \|/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(Object.keys(envelopeSchema.shape).sort());
  });

  it('shows the chat.answer job and the chat.event notice exactly as their readers take them', () => {
    for (const [type, schema] of [
      ['chat.answer', chatAnswerMessage.payload],
      ['chat.event', chatEventMessage.payload],
    ] as const) {
      const found = marked('example').filter((e) => (e.value as { type?: string }).type === type);
      expect(found.length, type).toBeGreaterThan(0);
      for (const e of found) {
        const payload = (e.value as { payload: unknown }).payload;
        expect(schema.safeParse(payload).success, `example at line ${e.line}`).toBe(true);
      }
    }
  });
});
