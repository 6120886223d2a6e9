import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CITATION_FAILURES,
  CRITIC_NAMES,
  criticRoundSchema,
  llmResponseJsonSchema,
  llmResponseSchema,
  MESSAGE_STATUSES,
} from '../src/chat/index.ts';
import { CONFIG_DEFAULTS, stableId } from '../src/core/index.ts';
import {
  type CboObject,
  type CboRelation,
  CONFIG_FILE_NAME,
  cboObjectSchema,
  cboRelationSchema,
  DEFAULT_SCOPE,
  exportGraph,
  indexRepository,
  loadScope,
  OBJECT_KINDS,
  RELATION_KINDS,
} from '../src/kg/index.ts';
import { FeedbackSchema, PostMessageSchema } from '../src/services/gateway/index.ts';
import { createMigratedDatabase } from './helpers/databases.ts';

const CBO_SCHEMA = new URL('../docs/schemas/CBO_SCHEMA.md', import.meta.url);
const KG_SCOPE = new URL('../docs/specs/KG_SCOPE_V1.md', import.meta.url);

/** A fenced block that follows an `<!-- marker: name -->` comment, with the line it starts on. */
interface MarkedBlock {
  readonly name: string;
  readonly line: number;
  readonly text: string;
}

/**
 * Every block marked `<!-- <marker>: <name> -->`. The next non-blank line after the marker must open
 * a fenced block of `lang`; a marker without one is an error, so a broken example cannot go unseen.
 */
function markedBlocks(doc: string, marker: string, lang: string): MarkedBlock[] {
  const lines = doc.split('\n');
  const blocks: MarkedBlock[] = [];
  const pattern = new RegExp(`^<!-- ${marker}: (\\S+) -->\\s*$`);
  for (let i = 0; i < lines.length; i++) {
    const match = pattern.exec(lines[i]!);
    if (!match) continue;
    let open = i + 1;
    while (open < lines.length && lines[open]!.trim() === '') open++;
    if (lines[open] !== `\`\`\`${lang}`)
      throw new Error(`line ${i + 1}: ${marker} ${match[1]} is not followed by a \`\`\`${lang} block`);
    const close = lines.indexOf('```', open + 1);
    if (close < 0) throw new Error(`line ${open + 1}: unterminated code block`);
    blocks.push({ name: match[1]!, line: open + 2, text: lines.slice(open + 1, close).join('\n') });
  }
  return blocks;
}

function examples(doc: string, name: string): Array<{ line: number; value: unknown }> {
  return markedBlocks(doc, 'example', 'json')
    .filter((b) => b.name === name)
    .map((b) => {
      try {
        return { line: b.line, value: JSON.parse(b.text) as unknown };
      } catch (error) {
        throw new Error(`example ${name} at line ${b.line} is not JSON: ${(error as Error).message}`);
      }
    });
}

/** Table cells of the markdown row that mentions `needle`, trimmed, without the outer pipes. */
function tableRow(doc: string, needle: string): string[] {
  const row = doc.split('\n').find((l) => l.startsWith('|') && l.includes(needle));
  if (!row) throw new Error(`no table row mentions ${needle}`);
  return row
    .split('|')
    .slice(1, -1)
    .map((c) => c.trim());
}

const tempDirs: string[] = [];
function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `cogo-docs-${label}-`));
  tempDirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

describe('docs/schemas/CBO_SCHEMA.md', () => {
  const doc = readFileSync(CBO_SCHEMA, 'utf8');
  const objectExamples = examples(doc, 'cbo-object');
  const relationExamples = examples(doc, 'cbo-relation');

  it('shows a method, an interface with fields, a call and an import', () => {
    expect(objectExamples.length).toBeGreaterThanOrEqual(2);
    expect(relationExamples.length).toBeGreaterThanOrEqual(2);
    const objects = objectExamples.map((e) => e.value as CboObject);
    const relations = relationExamples.map((e) => e.value as CboRelation);
    expect(objects.some((o) => o.kind === 'method')).toBe(true);
    expect(objects.some((o) => o.kind === 'interface' && o.fields_json.length > 0)).toBe(true);
    expect(relations.some((r) => r.kind === 'calls')).toBe(true);
    expect(relations.some((r) => r.kind === 'imports')).toBe(true);
  });

  it.each(objectExamples.map((e) => [e.line, e.value] as const))(
    'has a valid CBO v3 object at line %i',
    (_line, value) => {
      const result = cboObjectSchema.safeParse(value);
      expect(result.error?.issues ?? []).toEqual([]);
    },
  );

  it.each(relationExamples.map((e) => [e.line, e.value] as const))(
    'has a valid CBO v3 relation at line %i',
    (_line, value) => {
      const result = cboRelationSchema.safeParse(value);
      expect(result.error?.issues ?? []).toEqual([]);
    },
  );

  it('gives every example the id the documented rule computes', () => {
    for (const { value } of objectExamples) {
      const o = value as CboObject;
      const expected =
        o.file_path === null
          ? stableId('ts', '<external>', o.qualified_name, o.kind)
          : stableId('ts', o.file_path, o.qualified_name, o.kind);
      expect(o.id, o.qualified_name).toBe(expected);
    }
    for (const { value } of relationExamples) {
      const r = value as CboRelation;
      expect(r.id, r.kind).toBe(stableId(r.kind, r.src_id, r.dst_id));
    }
  });

  it('names every object kind and relation kind of the model', () => {
    for (const kind of [...OBJECT_KINDS, ...RELATION_KINDS]) expect(doc).toContain(`\`${kind}\``);
  });

  it('shows exactly the records cogo exports for the example sources', async () => {
    const sources = markedBlocks(doc, 'example-source', 'ts');
    expect(sources.length).toBeGreaterThan(0);
    const repo = tempDir('repo');
    for (const s of sources) {
      mkdirSync(dirname(join(repo, s.name)), { recursive: true });
      writeFileSync(join(repo, s.name), `${s.text}\n`);
    }
    const t = await createMigratedDatabase('pglite', 'docs');
    try {
      await indexRepository(t.db, { root: repo, maxFileBytes: CONFIG_DEFAULTS.COGO_MAX_FILE_BYTES });
      const out = await exportGraph(t.db, tempDir('export'));
      const byId = (file: string) =>
        new Map(
          readFileSync(file, 'utf8')
            .split('\n')
            .filter((l) => l !== '')
            .map((l) => {
              const record = JSON.parse(l) as { id: string };
              return [record.id, record] as const;
            }),
        );
      const objects = byId(out.objectsFile);
      const relations = byId(out.relationsFile);
      for (const { line, value } of objectExamples)
        expect(objects.get((value as CboObject).id), `object example at line ${line}`).toEqual(value);
      for (const { line, value } of relationExamples)
        expect(relations.get((value as CboRelation).id), `relation example at line ${line}`).toEqual(value);
    } finally {
      await t.dispose();
    }
  });
});

describe('docs/specs/KG_SCOPE_V1.md', () => {
  const doc = readFileSync(KG_SCOPE, 'utf8');

  it('lists exactly the default scope globs', () => {
    const blocks = examples(doc, 'default-scope');
    expect(blocks).toHaveLength(1);
    expect(blocks[0]!.value).toEqual(DEFAULT_SCOPE);
  });

  it('has cogo.config.json examples that loadScope accepts with the globs they list', () => {
    const configs = examples(doc, 'cogo-config');
    expect(configs.length).toBeGreaterThanOrEqual(1);
    for (const { line, value } of configs) {
      const config = value as {
        scope?: { include?: string[]; exclude?: string[]; defaultExcludes?: boolean };
      };
      const repo = tempDir('config');
      writeFileSync(join(repo, CONFIG_FILE_NAME), JSON.stringify(config));
      const scope = loadScope(repo);
      const baseExclude = config.scope?.defaultExcludes === false ? [] : DEFAULT_SCOPE.exclude;
      expect(scope.include, `include of the example at line ${line}`).toEqual(
        config.scope?.include ?? DEFAULT_SCOPE.include,
      );
      expect(scope.exclude, `exclude of the example at line ${line}`).toEqual([
        ...baseExclude,
        ...(config.scope?.exclude ?? []),
      ]);
    }
  });

  it('states the coverage thresholds that CONFIG_DEFAULTS holds', () => {
    const keys = [
      'KG_COVERAGE_PARAMS_MIN',
      'KG_COVERAGE_RETURNS_MIN',
      'KG_COVERAGE_FIELDS_MIN',
      'KG_COVERAGE_LINES_MIN',
      'KG_COVERAGE_DECLARATIONS_MIN',
      'KG_COVERAGE_CHUNK_LINES_MIN',
    ] as const;
    for (const key of keys) {
      const cells = tableRow(doc, `\`${key}\``);
      expect(cells[2], key).toBe(`${CONFIG_DEFAULTS[key]}%`);
    }
  });
});

describe('docs/specs/LLM_RESPONSE_JSON_V1.md', () => {
  const doc = readFileSync(new URL('../docs/specs/LLM_RESPONSE_JSON_V1.md', import.meta.url), 'utf8');

  it('has examples the contract schema accepts, answered and not', () => {
    const found = examples(doc, 'llm-response');
    expect(found.map((e) => (e.value as { status: string }).status)).toEqual(['answered', 'cannot_answer']);
    for (const e of found) {
      const parsed = llmResponseSchema.safeParse(e.value);
      expect(parsed.success, `example at line ${e.line}: ${parsed.error?.message}`).toBe(true);
    }
  });

  it('lists exactly the fields the schema has, and the JSON Schema requires them all and no others', () => {
    const keys = Object.keys(llmResponseSchema.shape);
    for (const k of keys) expect(tableRow(doc, `\`${k}\``).length).toBeGreaterThan(0);
    const json = llmResponseJsonSchema() as { required: string[]; additionalProperties: boolean };
    expect(json.required.sort()).toEqual([...keys].sort());
    // The answer first, so a model's structured output streams it from the start.
    expect(Object.keys((json as unknown as { properties: object }).properties)[0]).toBe('answer');
    expect(json.additionalProperties).toBe(false);
  });

  it('rejects a citation whose lines run backwards, and an unknown field', () => {
    const [first] = examples(doc, 'llm-response');
    const base = first!.value as Record<string, unknown>;
    const backwards = { ...base, citations: [{ path: 'a.ts', start_line: 9, end_line: 3, object_id: null }] };
    expect(llmResponseSchema.safeParse(backwards).success).toBe(false);
    expect(llmResponseSchema.safeParse({ ...base, extra: 1 }).success).toBe(false);
  });
});

describe('docs/specs/SELF_CORRECTION_FEEDBACK_LOOP_V1.md', () => {
  const doc = readFileSync(
    new URL('../docs/specs/SELF_CORRECTION_FEEDBACK_LOOP_V1.md', import.meta.url),
    'utf8',
  );

  it('has a critic round and a feedback body the code accepts', () => {
    const [round] = examples(doc, 'critic-round');
    const parsed = criticRoundSchema.safeParse(round!.value);
    expect(parsed.success, parsed.error?.message).toBe(true);
    expect(parsed.data!.results.map((r) => r.critic)).toEqual([...CRITIC_NAMES]);
    const [feedback] = examples(doc, 'feedback');
    expect(FeedbackSchema.parse(feedback!.value).rating).toBe(-1);
  });

  it('lists every critic and every citation failure reason the code has', () => {
    for (const c of CRITIC_NAMES) expect(tableRow(doc, `| \`${c}\` |`).length).toBe(3);
    for (const r of CITATION_FAILURES) expect(tableRow(doc, `| \`${r}\` |`).length).toBe(2);
  });
});

describe('docs/specs/SUPABASE_CHAT_AND_FEEDBACK_SCHEMA_V1.md', () => {
  const doc = readFileSync(
    new URL('../docs/specs/SUPABASE_CHAT_AND_FEEDBACK_SCHEMA_V1.md', import.meta.url),
    'utf8',
  );

  /** The column names of the table documented under `## \`<table>\``. */
  function documentedColumns(table: string): string[] {
    const start = doc.indexOf(`## \`${table}\``);
    expect(start, table).toBeGreaterThanOrEqual(0);
    const next = doc.indexOf('\n## ', start + 1);
    return doc
      .slice(start, next < 0 ? undefined : next)
      .split('\n')
      .flatMap((l) => /^\| `([a-z_]+)` \|/.exec(l)?.[1] ?? []);
  }

  it('documents exactly the columns each chat table has', async () => {
    const t = await createMigratedDatabase('pglite');
    try {
      for (const table of ['chat_sessions', 'chat_messages', 'chat_feedback']) {
        const { rows } = await t.db.query<{ column_name: string }>(
          'select column_name from information_schema.columns where table_name = $1 order by ordinal_position',
          [table],
        );
        expect(documentedColumns(table), table).toEqual(rows.map((r) => r.column_name));
      }
    } finally {
      await t.dispose();
    }
  });

  it('names the message statuses the code uses, and has a request body the gateway accepts', () => {
    expect(tableRow(doc, '| `status` |')[1]).toBe(MESSAGE_STATUSES.map((s) => `\`${s}\``).join(', '));
    const [body] = examples(doc, 'post-message');
    expect(PostMessageSchema.safeParse(body!.value).success).toBe(true);
  });
});
