import { describe, expect, it } from 'vitest';
import type { CboObject } from '../kg/index.ts';
import { fileLineCoverage } from './chunk-coverage.ts';
import { chunkCode, chunkMarkdown } from './chunker.ts';

function object(kind: string, name: string, start: number, end: number, signature = name): CboObject {
  return {
    id: `${kind}-${name}`.padEnd(32, '0').slice(0, 32),
    kind,
    name,
    qualified_name: name,
    file_path: 'src/a.ts',
    signature,
    start_line: start,
    end_line: end,
    params_json: [],
    returns_json: null,
    fields_json: [],
    doc: null,
    metadata: { language: 'ts', exported: true, tags: ['lang:ts', `kind:${kind}`] },
  };
}

describe('chunkMarkdown', () => {
  it('cuts at headings outside code fences, names sections by heading path, and trims blank tails', () => {
    const text = [
      '# Guide',
      '',
      'Intro.',
      '',
      '## Install',
      '',
      '```sh',
      '# not a heading',
      'npm ci',
      '```',
      '',
      '## Install',
      'Again.',
      '',
      '',
    ].join('\n');
    const chunks = chunkMarkdown('docs/guide.md', text);
    expect(chunks.map((c) => [c.symbol, c.startLine, c.endLine])).toEqual([
      ['Guide', 1, 3],
      ['Guide > Install', 5, 10],
      ['Guide > Install', 12, 13],
    ]);
    expect(new Set(chunks.map((c) => c.id)).size).toBe(3);
    expect(chunks[0]?.tags).toEqual(['lang:md', 'kind:doc', 'role:doc', 'path:docs']);
  });

  it('splits a long section at blank lines and repeats the heading path', () => {
    const paragraphs = Array.from(
      { length: 40 },
      (_, i) => `Paragraph ${i} line one.\nParagraph ${i} line two.\n`,
    );
    const chunks = chunkMarkdown('a.md', `# Long\n\n${paragraphs.join('\n')}`, {
      maxLines: 30,
      maxChars: 10_000,
    });
    expect(chunks.length).toBeGreaterThan(3);
    expect(chunks.every((c) => c.endLine - c.startLine + 1 <= 30)).toBe(true);
    expect(chunks[1]?.content.startsWith('Long …\n')).toBe(true);
  });
});

describe('chunkCode', () => {
  it('gives each symbol its chunk, a class its outline, and splits a long body at statements', () => {
    const body = Array.from({ length: 30 }, (_, i) => `  const v${i} = ${i};`);
    const text = [
      'import { x } from "./x";',
      'export class Box {',
      '  size = 1;',
      '  grow(): void {',
      '    this.size++;',
      '  }',
      '}',
      'export function long(): number {',
      ...body,
      '  return 0;',
      '}',
    ].join('\n');
    const objects = [
      { ...object('module', 'a.ts', 1, 41), kind: 'module', qualified_name: 'src/a.ts' },
      object('class', 'Box', 2, 7),
      object('method', 'Box.grow', 4, 6, 'grow(): void'),
      object('function', 'long', 8, 40, 'export function long(): number'),
    ];
    const chunks = chunkCode('src/a.ts', text, objects, { maxLines: 12, maxChars: 10_000 });
    const box = chunks.find((c) => c.symbol === 'Box')!;
    expect(box.content).toBe('export class Box {\n  size = 1;\n  grow(): void {\n}');
    expect(chunks.find((c) => c.symbol === 'Box.grow')?.content).toContain('this.size++');
    const parts = chunks.filter((c) => c.symbol === 'long');
    expect(parts.length).toBeGreaterThan(2);
    expect(parts.map((p) => p.part)).toEqual(parts.map((_, i) => i + 1));
    expect(parts[1]?.content.startsWith('export function long(): number …\n  const v')).toBe(true);
    expect(parts.every((p) => p.endLine - p.startLine + 1 <= 12)).toBe(true);
    expect(chunks.find((c) => c.kind === 'module')?.content).toContain('import { x } from "./x";');
  });

  it('puts every line of a long module in a chunk: top-level code in parts, each declaration with its doc', () => {
    const statements = (from: number) => Array.from({ length: 60 }, (_, i) => `register('step${from + i}');`);
    const text = [
      'import { register } from "./registry";',
      ...statements(0),
      '/**',
      ' * Maps values.',
      ' */',
      'export const map = internal.map;',
      ...statements(60),
      '// Flattens.',
      'export const flat = dual(2, (a, f) => a);',
      ...statements(120),
      '',
    ].join('\n');
    const objects = [
      { ...object('module', 'a.ts', 1, 187), qualified_name: 'src/a.ts' },
      object('function', 'map', 65, 65),
      object('function', 'flat', 127, 127),
    ];
    const chunks = chunkCode('src/a.ts', text, objects, { maxLines: 40, maxChars: 10_000 });
    expect(fileLineCoverage(text, chunks)).toMatchObject({ uncovered: [] });
    const parts = chunks.filter((c) => c.kind === 'module');
    expect(parts.map((p) => p.part)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(parts.every((p) => p.content.split('\n').length <= 41)).toBe(true);
    // Parts are cut where a declaration sits between two top-level statements, when that keeps a
    // part at least half full (61|66 and 125|128), else at the limit.
    expect(parts.map((p) => [p.startLine, p.endLine])).toEqual([
      [1, 40],
      [41, 61],
      [66, 105],
      [106, 125],
      [128, 167],
      [168, 187],
    ]);
    expect(new Set(parts.map((p) => p.id)).size).toBe(6);
    expect(chunks.find((c) => c.symbol === 'map')).toMatchObject({
      startLine: 62,
      endLine: 65,
      content: '/**\n * Maps values.\n */\nexport const map = internal.map;',
    });
    expect(chunks.find((c) => c.symbol === 'flat')).toMatchObject({ startLine: 126, endLine: 127 });
  });

  it('splits a long overloaded function at blank lines, not at its first line', () => {
    const body = Array.from({ length: 12 }, (_, i) => [
      `  step${i}();`,
      `  check${i}();`,
      `  log${i}();`,
      '',
    ]).flat();
    const text = [
      '/* lint: off */',
      'export function pipe(a: number): number;',
      'export function pipe(a: string): string;',
      'export function pipe(a: unknown): unknown {',
      ...body,
      '  return a;',
      '}',
    ].join('\n');
    const end = 4 + body.length + 2;
    const objects = [object('function', 'pipe', 2, end)];
    const chunks = chunkCode('src/a.ts', text, objects, { maxLines: 20, maxChars: 10_000 });
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks[0]?.startLine).toBe(1);
    expect(chunks.every((c) => c.endLine - c.startLine + 1 >= 4 && c.endLine - c.startLine + 1 <= 20)).toBe(
      true,
    );
    expect(fileLineCoverage(text, chunks).uncovered).toEqual([]);
  });

  it('counts the words of a doc comment the chunk holds once in its code words', () => {
    const text = ['/** Frobnicates the widget. */', 'export function frob(): void {}'].join('\n');
    const fn = { ...object('function', 'frob', 2, 2), doc: 'Frobnicates the widget.' };
    const [chunk] = chunkCode('src/a.ts', text, [fn]);
    expect(chunk?.startLine).toBe(1);
    expect(chunk?.keywords.d.match(/frobnicates/gi)).toHaveLength(1);
    expect(chunk?.keywords.c).toBe('Frobnicates the widget.');
  });
});
