/**
 * Compares a cogo graph (JSONL export) with a scip-typescript index of the same sources:
 * definition recall, line-span agreement and call edges. Pure analysis; no timing here.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import ts from 'typescript';

// ---------------------------------------------------------------------------------------------
// SCIP reading

interface PbOccurrence {
  readonly range: number[];
  readonly symbol: string;
  readonly symbol_roles: number;
  readonly enclosing_range: number[];
}
interface PbDocument {
  readonly relative_path: string;
  readonly occurrences: PbOccurrence[];
}
interface PbIndex {
  readonly documents: PbDocument[];
}
interface ScipBindings {
  readonly scip: { Index: { deserializeBinary(bytes: Uint8Array): PbIndex } };
}

const DEFINITION_ROLE = 1;

export interface Occurrence {
  /** 0-based, as SCIP stores them. */
  readonly line: number;
  readonly char: number;
  readonly symbol: string;
  readonly definition: boolean;
  /** 1-based start and end line of `enclosing_range`, when scip-typescript emitted one. */
  readonly enclosing: readonly [number, number] | undefined;
}

export interface ScipDocument {
  readonly path: string;
  readonly occurrences: Occurrence[];
}

/** Decodes an `index.scip` with the protobuf bindings scip-typescript ships. */
export function readScip(file: string): ScipDocument[] {
  const require = createRequire(new URL('./package.json', import.meta.url));
  const { scip } = require('@sourcegraph/scip-typescript/dist/src/scip.js') as ScipBindings;
  const index = scip.Index.deserializeBinary(readFileSync(file));
  return index.documents.map((d) => ({
    path: d.relative_path,
    occurrences: d.occurrences.map((o) => {
      const e = o.enclosing_range;
      const enclosing: readonly [number, number] | undefined =
        e.length === 0 ? undefined : [e[0]! + 1, (e.length === 4 ? e[2]! : e[0]!) + 1];
      return {
        line: o.range[0]!,
        char: o.range[1]!,
        symbol: o.symbol,
        definition: (o.symbol_roles & DEFINITION_ROLE) !== 0,
        enclosing,
      };
    }),
  }));
}

export type Suffix = 'namespace' | 'type' | 'term' | 'meta' | 'method' | 'parameter' | 'type-parameter';
export interface Descriptor {
  readonly name: string;
  readonly suffix: Suffix;
}

/** Parses a SCIP symbol's descriptors (https://github.com/sourcegraph/scip, scip.proto `Symbol`); 'local' for locals. */
export function parseSymbol(symbol: string): Descriptor[] | 'local' {
  if (symbol.startsWith('local ')) return 'local';
  let i = 0;
  // scheme, manager, package name, version: space separated, a literal space is written twice.
  for (let field = 0; field < 4; field++) {
    while (i < symbol.length) {
      if (symbol[i] === ' ') {
        if (symbol[i + 1] === ' ') {
          i += 2;
          continue;
        }
        break;
      }
      i++;
    }
    i++;
  }
  const out: Descriptor[] = [];
  const readName = (): string => {
    if (symbol[i] === '`') {
      let name = '';
      i++;
      while (i < symbol.length) {
        if (symbol[i] === '`') {
          if (symbol[i + 1] === '`') {
            name += '`';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        name += symbol[i];
        i++;
      }
      return name;
    }
    const start = i;
    while (i < symbol.length && /[\w$+-]/.test(symbol[i]!)) i++;
    return symbol.slice(start, i);
  };
  while (i < symbol.length) {
    const c = symbol[i];
    if (c === '(' || c === '[') {
      i++;
      const name = readName();
      i++; // ')' or ']'
      out.push({ name, suffix: c === '(' ? 'parameter' : 'type-parameter' });
      continue;
    }
    const name = readName();
    const s = symbol[i];
    if (s === '/') out.push({ name, suffix: 'namespace' });
    else if (s === '#') out.push({ name, suffix: 'type' });
    else if (s === '.') out.push({ name, suffix: 'term' });
    else if (s === ':') out.push({ name, suffix: 'meta' });
    else if (s === '(') {
      i = symbol.indexOf(').', i);
      if (i < 0) throw new Error(`bad method descriptor in ${symbol}`);
      i++;
      out.push({ name, suffix: 'method' });
    } else throw new Error(`cannot parse SCIP symbol ${JSON.stringify(symbol)} at ${i}`);
    i++;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// cogo export

export interface CogoObject {
  readonly id: string;
  readonly kind: string;
  readonly name: string;
  readonly qualified_name: string;
  readonly file_path: string | null;
  readonly start_line: number | null;
  readonly end_line: number | null;
}
export interface CogoRelation {
  readonly kind: string;
  readonly src_id: string;
  readonly dst_id: string;
  readonly evidence: { readonly file: string; readonly line: number };
  readonly metadata: Record<string, unknown>;
}

function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as T);
}

export function readCogoExport(dir: string): { objects: CogoObject[]; relations: CogoRelation[] } {
  return {
    objects: readJsonl<CogoObject>(join(dir, 'objects.jsonl')),
    relations: readJsonl<CogoRelation>(join(dir, 'relations.jsonl')),
  };
}

// ---------------------------------------------------------------------------------------------
// Definitions

export const MAIN_KINDS = [
  'class',
  'interface',
  'type alias',
  'enum',
  'function',
  'method',
  'method signature',
  'constructor',
  'accessor',
] as const;
export const CONST_KINDS = ['const function', 'const class'] as const;
export type DefKind = (typeof MAIN_KINDS)[number] | (typeof CONST_KINDS)[number];

const COGO_KIND: Record<DefKind, string> = {
  class: 'class',
  interface: 'interface',
  'type alias': 'type',
  enum: 'type',
  function: 'function',
  method: 'method',
  'method signature': 'method',
  constructor: 'method',
  accessor: 'method',
  'const function': 'function',
  'const class': 'class',
};

/** One SCIP definition (a global symbol of a file), with every place it is declared. */
export interface Def {
  readonly path: string;
  readonly symbol: string;
  readonly kind: DefKind;
  readonly name: string;
  readonly qualified: string;
  /** 1-based lines of the definition occurrences (several for overloads and merged declarations). */
  readonly lines: number[];
  readonly enclosing: Array<readonly [number, number]>;
  /** Set once matched: the cogo object of the same file, name and kind. */
  match?: CogoObject;
  /** True when `match` also contains the first definition line. */
  strict?: boolean;
}

/** The function or class expression a variable is bound to, looking through `( )`, `as` and `satisfies`. */
function boundExpression(init: ts.Expression | undefined): ts.Expression | undefined {
  let e = init;
  while (e && (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e)))
    e = e.expression;
  if (e && (ts.isArrowFunction(e) || ts.isFunctionExpression(e) || ts.isClassExpression(e))) return e;
  return undefined;
}

function classify(node: ts.Node): DefKind | undefined {
  if (ts.isClassDeclaration(node) || ts.isClassExpression(node)) return 'class';
  if (ts.isInterfaceDeclaration(node)) return 'interface';
  if (ts.isTypeAliasDeclaration(node)) return 'type alias';
  if (ts.isEnumDeclaration(node)) return 'enum';
  if (ts.isFunctionDeclaration(node)) return 'function';
  if (ts.isMethodDeclaration(node)) return 'method';
  if (ts.isMethodSignature(node)) return 'method signature';
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  if (ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node)) return 'accessor';
  if (ts.isVariableDeclaration(node)) {
    const bound = boundExpression(node.initializer);
    if (bound) return ts.isClassExpression(bound) ? 'const class' : 'const function';
  }
  return undefined;
}

/** SCIP names `<constructor>`, `<get>x`, `<set>x` and keeps the quotes of `'x'() {}`; cogo does neither. */
function normalizeName(name: string): string {
  if (name === '<constructor>') return 'constructor';
  const bare = name.replace(/^<[gs]et>/, '');
  return /^(['"]).*\1$/.test(bare) ? bare.slice(1, -1) : bare;
}

/** Kinds a call can target; SCIP also references a same-named interface or type alias at a call site. */
const CALLABLE_KINDS: ReadonlySet<DefKind> = new Set([
  'class',
  'function',
  'method',
  'method signature',
  'constructor',
  'accessor',
  'const function',
  'const class',
]);

interface CallSite {
  readonly path: string;
  /** 1-based line of the call expression (where cogo puts its evidence). */
  readonly line: number;
  /** 0-based position of the callee name, where SCIP has the reference. */
  readonly nameLine: number;
  readonly nameChar: number;
  readonly isNew: boolean;
  readonly isSuper: boolean;
  readonly text: string;
  /** The innermost enclosing definition, undefined for top-level code (the module). */
  readonly caller: Def | undefined;
}

function posKey(line: number, char: number): string {
  return `${line}:${char}`;
}

/** Where SCIP puts a declaration's definition occurrence: its name, or the first token of a constructor. */
function declarationKey(node: ts.Node, sf: ts.SourceFile): string | undefined {
  let at: ts.Node | undefined;
  if (ts.isConstructorDeclaration(node)) at = node.getFirstToken(sf) ?? node;
  else {
    const name = (node as ts.NamedDeclaration).name;
    if (name && typeof name === 'object' && 'kind' in name) at = name;
  }
  if (!at) return undefined;
  const p = sf.getLineAndCharacterOfPosition(at.getStart(sf));
  return posKey(p.line, p.character);
}

function calleeName(call: ts.CallExpression | ts.NewExpression): ts.Node | undefined {
  let e: ts.Expression = call.expression;
  while (
    ts.isParenthesizedExpression(e) ||
    ts.isNonNullExpression(e) ||
    ts.isAsExpression(e) ||
    ts.isSatisfiesExpression(e) ||
    ts.isTypeAssertionExpression(e)
  )
    e = e.expression;
  if (ts.isPropertyAccessExpression(e)) return e.name;
  if (ts.isIdentifier(e) || e.kind === ts.SyntaxKind.SuperKeyword) return e;
  if (ts.isElementAccessExpression(e) && ts.isStringLiteralLike(e.argumentExpression))
    return e.argumentExpression;
  return undefined;
}

export interface DefinitionResult {
  readonly total: number;
  readonly found: number;
  readonly recall: number | null;
  readonly byKind: Record<string, { total: number; found: number; recall: number | null }>;
  readonly constBound: Record<string, { total: number; found: number }>;
  readonly excluded: Record<string, number>;
  readonly misses: Array<{ where: string; kind: DefKind; qualified: string; reason: string }>;
  readonly missReasons: Record<string, number>;
  readonly span: {
    readonly nameMatched: number;
    readonly lineInsideSpan: number;
    readonly share: number | null;
    readonly withEnclosingRange: number;
    readonly startEqual: number;
    readonly endEqual: number;
    readonly bothEqual: number;
    readonly exactShare: number | null;
    readonly disagreements: Array<{
      where: string;
      kind: DefKind;
      qualified: string;
      cogo: string;
      scip: string;
    }>;
  };
  readonly cogoOnly: {
    readonly count: number;
    readonly byKind: Record<string, number>;
    readonly examples: string[];
  };
}

export interface CallResult {
  readonly scipCallSites: number;
  readonly scipSitesToRepoDefinitions: number;
  readonly cogoEdges: number;
  /** cogo edges from `super(...)` calls: SCIP has no occurrence for `super`, so it can neither confirm nor refute them. */
  readonly superEdges: number;
  readonly raw: EdgeScore;
  /** SCIP's `new Foo()` references moved from `Foo#<constructor>` to the class Foo (cogo's convention before constructors were call targets). */
  readonly normalized: EdgeScore;
  readonly unconfirmedReasons: Record<string, number>;
  readonly unconfirmedExamples: string[];
  readonly missedReasons: Record<string, number>;
  readonly missedExamples: string[];
}

export interface EdgeScore {
  readonly scipEdges: number;
  /** SCIP edges whose callee is a repo definition cogo also has (the recall denominator). */
  readonly scipEdgesCalleeInCogo: number;
  readonly recalled: number;
  readonly recall: number | null;
  readonly confirmed: number;
  readonly precision: number | null;
}

export interface Comparison {
  readonly files: { readonly scip: number; readonly cogo: number; readonly common: number };
  readonly definitions: DefinitionResult;
  readonly calls: CallResult;
}

const ratio = (n: number, d: number): number | null =>
  d === 0 ? null : Math.round((n / d) * 10_000) / 10_000;

function inc(rec: Record<string, number>, key: string, by = 1): void {
  rec[key] = (rec[key] ?? 0) + by;
}

function inSpan(o: CogoObject, line: number): boolean {
  return o.start_line !== null && o.end_line !== null && o.start_line <= line && line <= o.end_line;
}

/**
 * Compares one target. `root` holds the sources both tools indexed; `scipFile` the SCIP index;
 * `cogoDir` cogo's JSONL export.
 */
export function compare(root: string, scipFile: string, cogoDir: string, maxList = 30): Comparison {
  const docs = readScip(scipFile);
  const cogo = readCogoExport(cogoDir);
  const objects = cogo.objects.filter((o) => o.file_path !== null);
  const objectById = new Map(cogo.objects.map((o) => [o.id, o]));
  const objectsByPath = new Map<string, CogoObject[]>();
  const moduleByPath = new Map<string, CogoObject>();
  for (const o of objects) {
    const path = o.file_path!;
    if (o.kind === 'module') moduleByPath.set(path, o);
    else {
      const list = objectsByPath.get(path) ?? [];
      list.push(o);
      objectsByPath.set(path, list);
    }
  }
  const cogoPaths = new Set(moduleByPath.keys());
  const common = docs.filter((d) => cogoPaths.has(d.path)).length;

  // Pass 1: parse every document, classify its definitions, find its call sites.
  const defsBySymbol = new Map<string, Def>();
  const defs: Def[] = [];
  const excluded: Record<string, number> = {};
  const sources = new Map<string, ts.SourceFile>();
  const declByKey = new Map<string, Map<string, ts.Node>>();
  for (const doc of docs) {
    const text = readFileSync(join(root, doc.path), 'utf8');
    const sf = ts.createSourceFile(doc.path, text, ts.ScriptTarget.Latest, true);
    sources.set(doc.path, sf);
    const byKey = new Map<string, ts.Node>();
    const visit = (node: ts.Node): void => {
      const key = declarationKey(node, sf);
      if (key !== undefined && !byKey.has(key)) byKey.set(key, node);
      ts.forEachChild(node, visit);
    };
    visit(sf);
    declByKey.set(doc.path, byKey);
    for (const occ of doc.occurrences) {
      if (!occ.definition) continue;
      const descriptors = parseSymbol(occ.symbol);
      if (descriptors === 'local') continue;
      const last = descriptors.at(-1);
      if (!last || (last.suffix !== 'type' && last.suffix !== 'method' && last.suffix !== 'term')) continue;
      const node = byKey.get(posKey(occ.line, occ.char));
      const kind = node ? classify(node) : undefined;
      if (last.suffix === 'term') {
        if (kind !== 'const function' && kind !== 'const class') continue; // properties, variables, enum members
      } else if (kind === undefined || kind === 'const function' || kind === 'const class') {
        inc(
          excluded,
          `${last.suffix === 'type' ? '#' : '().'} on ${node ? ts.SyntaxKind[node.kind] : 'no declaration node'}`,
        );
        continue;
      }
      if (descriptors.some((d) => d.suffix === 'meta')) {
        inc(excluded, `${kind} inside an anonymous type literal`);
        continue;
      }
      const fileAt = descriptors.findIndex((d) => d.suffix === 'namespace' && d.name === basename(doc.path));
      const qualified = descriptors
        .slice(fileAt + 1)
        .map((d) => normalizeName(d.name))
        .join('.');
      const key = `${doc.path}\u0000${occ.symbol}`;
      let def = defsBySymbol.get(occ.symbol);
      if (!def) {
        def = {
          path: doc.path,
          symbol: occ.symbol,
          kind: kind!,
          name: normalizeName(last.name),
          qualified,
          lines: [],
          enclosing: [],
        };
        defsBySymbol.set(occ.symbol, def);
        defs.push(def);
      } else if (def.path !== doc.path) throw new Error(`symbol defined in two files: ${key}`);
      def.lines.push(occ.line + 1);
      if (occ.enclosing) def.enclosing.push(occ.enclosing);
    }
  }

  // Match definitions to cogo objects: same file, name and kind; prefer the qualified name and the span.
  const matchedIds = new Set<string>();
  for (const def of defs) {
    const candidates = (objectsByPath.get(def.path) ?? []).filter(
      (o) => o.name === def.name && o.kind === COGO_KIND[def.kind],
    );
    const first = def.lines[0]!;
    const best =
      candidates.find((o) => o.qualified_name === def.qualified && inSpan(o, first)) ??
      candidates.find((o) => inSpan(o, first)) ??
      candidates.find((o) => o.qualified_name === def.qualified) ??
      candidates[0];
    if (best) {
      def.match = best;
      def.strict = inSpan(best, first);
      matchedIds.add(best.id);
    }
  }

  const definitions = scoreDefinitions(defs, objectsByPath, objects, matchedIds, excluded, maxList);

  // Call sites, with the caller found by walking up to the innermost definition SCIP has.
  const defByPos = new Map<string, Def>();
  for (const doc of docs)
    for (const occ of doc.occurrences) {
      if (!occ.definition) continue;
      const def = defsBySymbol.get(occ.symbol);
      if (def) defByPos.set(`${doc.path}:${posKey(occ.line, occ.char)}`, def);
    }
  const sites: CallSite[] = [];
  for (const doc of docs) {
    const sf = sources.get(doc.path)!;
    const visit = (node: ts.Node): void => {
      if (
        (ts.isCallExpression(node) || ts.isNewExpression(node)) &&
        node.expression.kind !== ts.SyntaxKind.ImportKeyword
      ) {
        const name = calleeName(node);
        if (name) {
          let caller: Def | undefined;
          for (let p: ts.Node | undefined = node.parent; p && !caller; p = p.parent) {
            const key = declarationKey(p, sf);
            if (key !== undefined) caller = defByPos.get(`${doc.path}:${key}`);
          }
          const at = sf.getLineAndCharacterOfPosition(name.getStart(sf));
          sites.push({
            path: doc.path,
            line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1,
            nameLine: at.line,
            nameChar: at.character,
            isNew: ts.isNewExpression(node),
            isSuper: name.kind === ts.SyntaxKind.SuperKeyword,
            text: node.expression.getText(sf).replace(/\s+/g, ' ').slice(0, 80),
            caller,
          });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  const refsAt = new Map<string, Set<string>>();
  for (const doc of docs)
    for (const occ of doc.occurrences) {
      if (occ.definition) continue;
      const key = `${doc.path}:${posKey(occ.line, occ.char)}`;
      const set = refsAt.get(key) ?? new Set<string>();
      set.add(occ.symbol);
      refsAt.set(key, set);
    }

  const calls = scoreCalls(sites, refsAt, defsBySymbol, moduleByPath, objectById, cogo.relations, maxList);
  return { files: { scip: docs.length, cogo: cogoPaths.size, common }, definitions, calls };
}

function scoreDefinitions(
  defs: readonly Def[],
  objectsByPath: ReadonlyMap<string, CogoObject[]>,
  objects: readonly CogoObject[],
  matchedIds: ReadonlySet<string>,
  excluded: Record<string, number>,
  maxList: number,
): DefinitionResult {
  const main = defs.filter((d) => (MAIN_KINDS as readonly string[]).includes(d.kind));
  const byKind: DefinitionResult['byKind'] = {};
  for (const kind of MAIN_KINDS) {
    const of = main.filter((d) => d.kind === kind);
    const found = of.filter((d) => d.strict).length;
    byKind[kind] = { total: of.length, found, recall: ratio(found, of.length) };
  }
  const constBound: DefinitionResult['constBound'] = {};
  for (const kind of CONST_KINDS) {
    const of = defs.filter((d) => d.kind === kind);
    constBound[kind] = { total: of.length, found: of.filter((d) => d.strict).length };
  }
  const misses: DefinitionResult['misses'] = [];
  const missReasons: Record<string, number> = {};
  for (const d of main) {
    if (d.strict) continue;
    let reason: string;
    if (d.match) reason = `line outside cogo span ${d.match.start_line}-${d.match.end_line}`;
    else {
      const sameName = (objectsByPath.get(d.path) ?? []).filter((o) => o.name === d.name);
      reason =
        sameName.length > 0
          ? `cogo has ${sameName.map((o) => `${o.kind} ${o.qualified_name}`).join(', ')} instead`
          : 'no cogo object of that name in the file';
    }
    inc(
      missReasons,
      `${d.kind}: ${reason.startsWith('line') ? 'line outside span' : reason.startsWith('cogo has') ? 'other kind' : 'no object'}`,
    );
    if (misses.length < maxList)
      misses.push({ where: `${d.path}:${d.lines[0]}`, kind: d.kind, qualified: d.qualified, reason });
  }
  const found = main.filter((d) => d.strict).length;

  const matched = main.filter((d) => d.match);
  const inside = matched.filter((d) => d.lines.every((l) => inSpan(d.match!, l)));
  const withEnclosing = matched.filter((d) => d.enclosing.length > 0);
  let startEqual = 0;
  let endEqual = 0;
  let bothEqual = 0;
  const disagreements: DefinitionResult['span']['disagreements'] = [];
  for (const d of withEnclosing) {
    const start = Math.min(...d.enclosing.map((e) => e[0]));
    const end = Math.max(...d.enclosing.map((e) => e[1]));
    const s = d.match!.start_line === start;
    const e = d.match!.end_line === end;
    if (s) startEqual++;
    if (e) endEqual++;
    if (s && e) bothEqual++;
    else if (disagreements.length < maxList)
      disagreements.push({
        where: `${d.path}:${d.lines[0]}`,
        kind: d.kind,
        qualified: d.qualified,
        cogo: `${d.match!.start_line}-${d.match!.end_line}`,
        scip: `${start}-${end}`,
      });
  }

  const cogoOnlyObjects = objects.filter((o) => o.kind !== 'module' && !matchedIds.has(o.id));
  const cogoOnlyByKind: Record<string, number> = {};
  for (const o of cogoOnlyObjects) inc(cogoOnlyByKind, o.kind);
  return {
    total: main.length,
    found,
    recall: ratio(found, main.length),
    byKind,
    constBound,
    excluded,
    misses,
    missReasons,
    span: {
      nameMatched: matched.length,
      lineInsideSpan: inside.length,
      share: ratio(inside.length, matched.length),
      withEnclosingRange: withEnclosing.length,
      startEqual,
      endEqual,
      bothEqual,
      exactShare: ratio(bothEqual, withEnclosing.length),
      disagreements,
    },
    cogoOnly: {
      count: cogoOnlyObjects.length,
      byKind: cogoOnlyByKind,
      examples: cogoOnlyObjects
        .slice(0, maxList)
        .map((o) => `${o.file_path}:${o.start_line} ${o.kind} ${o.qualified_name}`),
    },
  };
}

/** True while `examples` holds fewer than a third of `max` items for `reason` (so every reason gets some). */
function perReason(examples: readonly string[], reason: string, max: number): boolean {
  const quota = Math.max(3, Math.ceil(max / 3));
  return examples.length < max && examples.filter((e) => e.startsWith(`[${reason}]`)).length < quota;
}

const SUPER_REASON = 'super(...) call: SCIP records no occurrence for `super`';

interface ScipEdge {
  readonly key: string;
  readonly callerId: string | undefined;
  readonly calleeId: string | undefined;
  readonly site: CallSite;
  readonly callee: Def;
  /** Several repo definitions at one call site (merged declarations). */
  readonly ambiguous: boolean;
  readonly constructorAtNew: boolean;
}

function scoreCalls(
  sites: readonly CallSite[],
  refsAt: ReadonlyMap<string, ReadonlySet<string>>,
  defsBySymbol: ReadonlyMap<string, Def>,
  moduleByPath: ReadonlyMap<string, CogoObject>,
  objectById: ReadonlyMap<string, CogoObject>,
  relations: readonly CogoRelation[],
  maxList: number,
): CallResult {
  const label = (id: string | undefined): string => {
    const o = id === undefined ? undefined : objectById.get(id);
    return o ? (o.kind === 'module' ? `<module ${o.file_path}>` : o.qualified_name) : '?';
  };
  /** The callable repo definitions SCIP references at a call site; `new Foo()` -> Foo when normalizing. */
  const calleesAt = (site: CallSite, normalize: boolean): Array<{ def: Def; ctor: boolean }> => {
    const out: Array<{ def: Def; ctor: boolean }> = [];
    for (const symbol of refsAt.get(`${site.path}:${posKey(site.nameLine, site.nameChar)}`) ?? []) {
      let def = defsBySymbol.get(symbol);
      if (!def || !CALLABLE_KINDS.has(def.kind)) continue;
      const ctor = site.isNew && def.kind === 'constructor';
      if (ctor && normalize) def = defsBySymbol.get(symbol.replace(/`<constructor>`\(\)\.$/, '')) ?? def;
      if (!out.some((c) => c.def === def)) out.push({ def, ctor });
    }
    return out;
  };
  const callerIdOf = (site: CallSite): string | undefined =>
    site.caller ? site.caller.match?.id : moduleByPath.get(site.path)?.id;
  const edgesFor = (normalize: boolean): Map<string, ScipEdge> => {
    const edges = new Map<string, ScipEdge>();
    for (const site of sites) {
      const callees = calleesAt(site, normalize);
      for (const { def, ctor } of callees) {
        const callerId = callerIdOf(site);
        const calleeId = def.match?.id;
        const key = `${callerId ?? `scip:${site.caller?.symbol}`}->${calleeId ?? `scip:${def.symbol}`}`;
        if (!edges.has(key))
          edges.set(key, {
            key,
            callerId,
            calleeId,
            site,
            callee: def,
            ambiguous: callees.length > 1,
            constructorAtNew: ctor,
          });
      }
    }
    return edges;
  };
  const cogoCalls = relations.filter((r) => r.kind === 'calls');
  const cogoKeys = new Set(cogoCalls.map((r) => `${r.src_id}->${r.dst_id}`));
  const score = (edges: Map<string, ScipEdge>): EdgeScore => {
    const denominator = [...edges.values()].filter((e) => e.calleeId !== undefined);
    const recalled = denominator.filter((e) => cogoKeys.has(e.key)).length;
    const confirmed = cogoCalls.filter((r) => edges.has(`${r.src_id}->${r.dst_id}`)).length;
    return {
      scipEdges: edges.size,
      scipEdgesCalleeInCogo: denominator.length,
      recalled,
      recall: ratio(recalled, denominator.length),
      confirmed,
      precision: ratio(confirmed, cogoCalls.length),
    };
  };
  const raw = edgesFor(false);
  const normalized = edgesFor(true);

  // Why cogo edges are not confirmed (against SCIP's edges as they are: cogo, like SCIP, targets
  // the constructor of `new Foo()` when Foo declares one).
  const sitesByLine = new Map<string, CallSite[]>();
  for (const s of sites) {
    const k = `${s.path}:${s.line}`;
    const list = sitesByLine.get(k) ?? [];
    list.push(s);
    sitesByLine.set(k, list);
  }
  // Every SCIP edge at a site (the edge maps keep one site per unique edge).
  const siteEdges = (site: CallSite) =>
    calleesAt(site, false).map((c) => ({ callerId: callerIdOf(site), calleeId: c.def.match?.id }));
  const noCallee = (site: CallSite): boolean => !site.isSuper && calleesAt(site, false).length === 0;
  const matchedIds = new Set([...defsBySymbol.values()].flatMap((d) => (d.match ? [d.match.id] : [])));
  const unconfirmedReasons: Record<string, number> = {};
  const unconfirmedExamples: string[] = [];
  for (const r of cogoCalls) {
    if (raw.has(`${r.src_id}->${r.dst_id}`)) continue;
    const here = sitesByLine.get(`${r.evidence.file}:${r.evidence.line}`) ?? [];
    const atLine = here.flatMap(siteEdges);
    let reason: string;
    const dstKind = objectById.get(r.dst_id)?.kind;
    if (dstKind === 'interface' || dstKind === 'type') reason = `callee is a cogo ${dstKind} (not callable)`;
    else if (!matchedIds.has(r.dst_id)) reason = 'callee is not a SCIP definition';
    else if (
      here.some((s) => s.isSuper) &&
      (objectById.get(r.dst_id)?.kind === 'class' || objectById.get(r.dst_id)?.name === 'constructor')
    )
      reason = SUPER_REASON;
    else if (atLine.some((e) => e.calleeId === r.dst_id))
      reason =
        objectById.get(r.src_id)?.kind !== 'module' && !matchedIds.has(r.src_id)
          ? 'caller is not a SCIP definition (anonymous `export default`, computed-name method)'
          : 'SCIP attributes the call to another caller';
    else if (here.some(noCallee))
      reason = 'SCIP has no repo definition at the call site (a local or alias symbol, or none)';
    else if (atLine.length > 0) reason = 'SCIP resolves the call to another callee';
    else reason = 'no call site found at the evidence line';
    inc(unconfirmedReasons, reason);
    if (perReason(unconfirmedExamples, reason, maxList)) {
      const scip = atLine.map((e) => `${label(e.callerId)} -> ${label(e.calleeId)}`);
      unconfirmedExamples.push(
        `[${reason}] ${r.evidence.file}:${r.evidence.line} cogo ${label(r.src_id)} -> ${label(r.dst_id)}${scip.length ? ` (SCIP: ${[...new Set(scip)].join('; ')})` : ''}`,
      );
    }
  }

  const cogoByDstFile = new Map<string, CogoRelation[]>();
  for (const r of cogoCalls) {
    const k = `${r.evidence.file}:${r.dst_id}`;
    const list = cogoByDstFile.get(k) ?? [];
    list.push(r);
    cogoByDstFile.set(k, list);
  }
  const typeNames = new Set(
    [...defsBySymbol.values()]
      .filter((d) => !CALLABLE_KINDS.has(d.kind))
      .map((d) => `${d.path}\u0000${d.qualified}`),
  );
  const missedReasons: Record<string, number> = {};
  const missedExamples: string[] = [];
  for (const e of raw.values()) {
    if (e.calleeId === undefined || cogoKeys.has(e.key)) continue;
    const others = cogoByDstFile.get(`${e.site.path}:${e.calleeId}`) ?? [];
    let reason: string;
    if (e.callerId === undefined) reason = `caller (${e.site.caller?.kind}) is not a cogo object`;
    else if (e.ambiguous) reason = 'several callable repo definitions at the call site';
    else if (typeNames.has(`${e.callee.path}\u0000${e.callee.qualified}`))
      reason = 'callee shares its name with a type or interface (merged symbol)';
    else if (others.length > 0)
      reason = others.every((o) => !matchedIds.has(o.src_id))
        ? 'cogo attributes the call to a caller SCIP has no symbol for'
        : 'cogo attributes the call to another caller';
    else reason = 'cogo has no edge to the callee from this file';
    inc(missedReasons, reason);
    if (perReason(missedExamples, reason, maxList)) {
      const cogoSays = others.length ? ` (cogo: ${others.map((o) => label(o.src_id)).join(', ')})` : '';
      missedExamples.push(
        `[${reason}] ${e.site.path}:${e.site.line} \`${e.site.text}\` SCIP ${e.site.caller?.qualified ?? '<module>'} -> ${e.callee.qualified}${cogoSays}`,
      );
    }
  }
  const sitesWithRepoDefs = sites.filter((s) => calleesAt(s, true).length > 0).length;
  return {
    scipCallSites: sites.length,
    scipSitesToRepoDefinitions: sitesWithRepoDefs,
    cogoEdges: cogoCalls.length,
    superEdges: unconfirmedReasons[SUPER_REASON] ?? 0,
    raw: score(raw),
    normalized: score(normalized),
    unconfirmedReasons,
    unconfirmedExamples,
    missedReasons,
    missedExamples,
  };
}
