import { createRepo, SRC_TSCONFIG } from './repos.ts';

/**
 * The sizes of the generated repository: every list is longer than what evidence gathering keeps
 * for the question (60) and than what the built-in answer lists (25).
 */
export const COUNTS = {
  callerFiles: 7,
  callersPerFile: 22,
  /** Classes that implement `Sink`. */
  sinks: 60,
  /** Classes that extend the first `subs` of them (two hops from `Sink`). */
  subs: 10,
  /** Functions of `src/feeders.ts` that take a `Sink` and call `Sink.handle` (exported, with `feedAll`). */
  feeders: 65,
} as const;

export const CALLERS = COUNTS.callerFiles * COUNTS.callersPerFile;
const pad = (n: number) => String(n).padStart(2, '0');
const callerName = (file: number, n: number) => `c${file}f${pad(n)}`;

function callerFile(file: number): string {
  const lines = ["import { target } from '../target';", ''];
  for (let n = 1; n <= COUNTS.callersPerFile; n++)
    lines.push(`export function ${callerName(file, n)}(): number {`, `  return target(${n});`, '}', '');
  return lines.join('\n');
}

function mainFile(): string {
  const lines: string[] = [];
  const calls: string[] = [];
  for (let f = 1; f <= COUNTS.callerFiles; f++) {
    const names = Array.from({ length: COUNTS.callersPerFile }, (_, i) => callerName(f, i + 1));
    lines.push(`import { ${names.join(', ')} } from './callers/c${f}';`);
    calls.push(...names.map((n) => `    ${n}() +`));
  }
  lines.push(
    '',
    '/** Calls every caller of `target`. */',
    'export function runAll(): number {',
    '  return (',
  );
  lines.push(...calls, '    0', '  );', '}', '');
  return lines.join('\n');
}

function sinksFile(): string {
  const lines = ["import type { Sink } from './target';", ''];
  const method = ['  handle(value: number): void {', '    void value;', '  }', '}', ''];
  for (let n = 1; n <= COUNTS.sinks; n++)
    lines.push(`export class Sink${pad(n)} implements Sink {`, ...method);
  for (let n = 1; n <= COUNTS.subs; n++)
    lines.push(`export class Sub${pad(n)} extends Sink${pad(n)} {`, ...method);
  return lines.join('\n');
}

function feedersFile(): string {
  const lines = [
    "import { lonely, type Sink } from './target';",
    '',
    'export interface FeedOptions {',
    '  times: number;',
    '}',
    '',
    'export interface FeedResult {',
    '  fed: number;',
    '}',
    '',
    'export type FeedCount = number;',
    '',
    'function helperOne(): number {',
    '  return lonely();',
    '}',
    '',
    'function helperTwo(): number {',
    '  return helperOne();',
    '}',
    '',
    'function helperThree(): number {',
    '  return helperTwo();',
    '}',
    '',
  ];
  for (let n = 1; n <= COUNTS.feeders; n++)
    lines.push(`export function feed${pad(n)}(sink: Sink): void {`, `  sink.handle(${n});`, '}', '');
  lines.push('export function feedAll(): number {', '  return helperThree();', '}', '');
  return lines.join('\n');
}

/**
 * A repository whose counts are known: `target` has 154 callers (and 155 dependents: `runAll`
 * calls them all); `Sink` has 70 implementations (60 direct, 10 through a subclass), 65 type uses
 * and 135 dependents; `Sink.handle` 70 implementations and 65 callers; `runAll` 154 callees;
 * `src/feeders.ts` exports 69 declarations (66 functions, 2 interfaces, 1 type); `lonely` has one
 * caller and three dependents (`helperOne` <- `helperTwo` <- `helperThree`, then `feedAll` at 4 hops); 71 declarations
 * are named `handle`; `src/hidden.ts` exports nothing. No variables, so the counts hold whether or not the
 * graph records them.
 */
export function createCountsRepo(): string {
  const files: Record<string, string> = {
    'tsconfig.json': SRC_TSCONFIG,
    'src/target.ts': [
      '/** What every caller calls. */',
      'export function target(n: number): number {',
      '  return n + 1;',
      '}',
      '',
      'export interface Sink {',
      '  handle(value: number): void;',
      '}',
      '',
      'export function lonely(): number {',
      '  return 1;',
      '}',
      '',
    ].join('\n'),
    'src/main.ts': mainFile(),
    'src/hidden.ts': 'function hidden(): number {\n  return 1;\n}\n\nhidden();\n',
    'src/sinks.ts': sinksFile(),
    'src/feeders.ts': feedersFile(),
  };
  for (let f = 1; f <= COUNTS.callerFiles; f++) files[`src/callers/c${f}.ts`] = callerFile(f);
  return createRepo(files);
}
