/**
 * The knowledge-graph benchmark's own check on a small fixture written in the value-bound / factory style:
 * how the comparison classifies each declaration, which call edges it takes from SCIP (through namespace
 * imports, re-exports and aliases), and what cogo has of them.
 *
 *   node bench/kg/fixture.ts      (after `npm install --prefix bench/kg`)
 *
 * Writes the fixture to bench/.work/fixture, indexes it with scip-typescript and with cogo (PGlite),
 * prints every definition and SCIP call edge, and exits non-zero when an expected SCIP edge or definition
 * kind is missing (a check of the harness, not of cogo).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compare } from './compare.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const WORK = resolve(HERE, '..', '.work', 'fixture');
const SCIP_MAIN = join(
  dirname(createRequire(join(HERE, 'package.json')).resolve('@sourcegraph/scip-typescript/package.json')),
  'dist',
  'src',
  'main.js',
);

// Kept as strings: the repository's tsconfig (erasableSyntaxOnly) rejects enums and namespaces.
const FILES: Record<string, string> = {
  'src/fn.ts': `export const dual = <F extends (...args: never[]) => unknown>(_arity: number, body: F): F => body;
export interface Mapper {
  <A, B>(f: (a: A) => B): (self: readonly A[]) => B[];
  <A, B>(self: readonly A[], f: (a: A) => B): B[];
}
export const map: Mapper = dual(2, <A, B>(self: readonly A[], f: (a: A) => B): B[] => self.map(f)) as Mapper;
export const alias = map;
export const made = Object.assign(() => 1, { extra: 2 });
export const plain = 42;
export let counter = 0;
export const { left, right } = { left: 1, right: (n: number) => n + left };
export enum Color {
  Red,
  Green = 'g',
}
export namespace NS {
  export const inner = () => 1;
  export function fn() {
    return inner();
  }
  export namespace Deep {
    export const z = 1;
  }
}
export const obj = {
  m() {
    return 1;
  },
  n: () => 2,
  p: function () {
    return 3;
  },
  q: 4,
};
export class K {
  arrow = () => map([1], (x: number) => x);
  static sArrow = (a: number) => a;
  method() {
    return this.arrow();
  }
}
const hidden = () => 5;
export default { a: hidden() };
function internalFn() {
  return obj.m() + obj.n() + obj.p();
}
export { internalFn as renamed };
`,
  'src/factory.ts': `export interface $constructor<T> {
  new (def: string): T;
  init(inst: T, def: string): void;
}
export function $constructor<T>(name: string, init: (inst: T, def: string) => void): $constructor<T> {
  const ctor = function (this: T, def: string) {
    init(this, def);
  } as unknown as $constructor<T>;
  Object.defineProperty(ctor, 'name', { value: name });
  ctor.init = init;
  return ctor;
}
export interface ZodString {
  kind: string;
}
export const ZodString: $constructor<ZodString> = $constructor('ZodString', (inst, def) => {
  inst.kind = def;
});
export function string(): ZodString {
  return new ZodString('string');
}
`,
  'src/use.ts': `export * as F from './fn.js';
export { map as mapped } from './fn.js';
import * as AA from './fn.js';
import { NS } from './fn.js';
import { mapped } from './use.js';
import def from './fn.js';
import { string, ZodString } from './factory.js';
export const use = () =>
  AA.map([1], (x: number) => x).length +
  mapped([1], (x: number) => x).length +
  NS.fn() +
  NS.inner() +
  new AA.K().arrow().length +
  AA.obj.n() +
  AA.right(1) +
  AA.made() +
  def.a;
export function viaAlias() {
  return AA.alias([1], (x: number) => x);
}
export function viaReexport() {
  return mapped([1], (x: number) => x);
}
export function factories() {
  ZodString.init(string(), 'x');
  return new ZodString('y');
}
`,
};

/** SCIP edges the harness must find: "caller -> callee (kind)". */
const EXPECTED_EDGES = [
  'use -> map (callable const)', // namespace import `AA.map(...)`
  'use -> NS.fn (function)',
  'use -> NS.inner (callable const)',
  'use -> K (class)',
  'use -> K.arrow (arrow property)',
  'use -> obj.n (object-literal method)', // SCIP's `n0:` meta symbol, across files
  'use -> made (callable const)',
  'viaAlias -> alias (callable const)', // `export const alias = map`
  'internalFn -> obj.m (object-literal method)', // shorthand method: a SCIP local, same file only
  'internalFn -> obj.p (object-literal method)',
  'K.arrow -> map (callable const)',
  'K.method -> K.arrow (arrow property)',
  'NS.fn -> NS.inner (callable const)',
  'map -> dual (callable const)',
  'ZodString -> $constructor (function)',
  'string -> ZodString (callable const)', // `new ZodString(...)` of a factory-built const
  'factories -> $constructor.init (method signature)', // `ZodString.init`: the interface's signature
  'viaReexport -> map (callable const)', // `export { map as mapped } from`, imported back
];
/** Definitions the harness must classify: "qualified kind". */
const EXPECTED_DEFINITIONS = [
  'map callable const [call]',
  'alias callable const [other expression]',
  'made callable const [call]',
  'dual callable const [function or class expression]',
  'plain other const',
  'counter other const',
  'left other const',
  'right callable const [destructured]',
  'Color enum',
  'Color.Red enum member',
  'NS namespace',
  'NS.Deep namespace',
  'NS.Deep.z other const',
  'obj other const',
  'obj.m object-literal method',
  'obj.n object-literal method',
  'K.arrow arrow property',
  'K.sArrow arrow property',
  'F namespace', // `export * as F from`
  'default default export',
  'ZodString callable const [call]',
];

function run(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
}

rmSync(WORK, { recursive: true, force: true });
for (const [path, text] of Object.entries(FILES)) {
  mkdirSync(dirname(join(WORK, path)), { recursive: true });
  writeFileSync(join(WORK, path), text);
}
writeFileSync(
  join(WORK, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: {
      strict: true,
      target: 'ES2022',
      module: 'NodeNext',
      moduleResolution: 'NodeNext',
      types: [],
      noEmit: true,
    },
    include: ['src/**/*.ts'],
  }),
);
writeFileSync(
  join(WORK, 'package.json'),
  JSON.stringify({ name: 'fixture', version: '1.0.0', private: true, type: 'module' }),
);
const scipFile = join(WORK, '..', 'fixture.scip');
const exportDir = join(WORK, '..', 'fixture-cogo-export');
run(process.execPath, [SCIP_MAIN, 'index', '--cwd', WORK, '--output', scipFile, '--no-progress-bar']);
run(process.execPath, [
  join(HERE, 'cogo-index.ts'),
  WORK,
  join(WORK, '..', 'fixture-cogo.json'),
  '--data-dir',
  join(WORK, '..', 'pglite-fixture'),
  '--export',
  exportDir,
]);
const c = compare(WORK, scipFile, exportDir, { detail: true, typeCheck: true });
const { definitions, scipEdges } = c.detail!;
const defLine = (d: (typeof definitions)[number]) =>
  `${d.qualified} ${d.kind}${d.initForm ? ` [${d.initForm}]` : ''}`;
const edgeLine = (e: (typeof scipEdges)[number]) => `${e.caller} -> ${e.callee} (${e.calleeKind})`;
const out = [
  `Type-check errors: ${c.typeErrors.count}`,
  '',
  'Definitions (qualified kind [callable const initializer]; exported; cogo object found):',
  ...definitions.map(
    (d) =>
      `- ${d.where} ${defLine(d)}${d.exported ? ', exported' : ''}${d.source === 'parse' ? ', parse only' : ''}: ${d.cogo ?? 'MISSED by cogo'}`,
  ),
  '',
  'SCIP call edges (caller -> callee (kind)):',
  ...scipEdges.map(
    (e) => `- ${e.where} \`${e.text}\` ${edgeLine(e)}: ${e.cogoHasIt ? 'cogo has it' : 'MISSED by cogo'}`,
  ),
];
const missingEdges = EXPECTED_EDGES.filter((x) => !scipEdges.some((e) => edgeLine(e) === x));
const missingDefs = EXPECTED_DEFINITIONS.filter((x) => !definitions.some((d) => defLine(d) === x));
out.push('', `Expected SCIP edges missing: ${missingEdges.length ? missingEdges.join('; ') : 'none'}`);
out.push(`Expected definitions missing: ${missingDefs.length ? missingDefs.join('; ') : 'none'}`);
process.stdout.write(`${out.join('\n')}\n`);
if (missingEdges.length > 0 || missingDefs.length > 0 || c.typeErrors.count > 0) process.exit(1);
