/**
 * Compares a cogo graph (JSONL export) with a scip-typescript index of the same sources:
 * definition recall, line-span agreement and call edges. Pure analysis; no timing here.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join, resolve } from 'node:path';
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
// Definitions, classified by the benchmark itself (TypeScript parse + checker), never by cogo

/** Every declaration kind the benchmark counts. */
export const DEF_KINDS = [
  'function',
  'callable const',
  'other const',
  'class',
  'interface',
  'type alias',
  'enum',
  'enum member',
  'namespace',
  'method',
  'method signature',
  'constructor',
  'accessor',
  'object-literal method',
  'arrow property',
  'default export',
] as const;
export type DefKind = (typeof DEF_KINDS)[number];

/** The kinds issue 2 measured ("as before" rows); `const function`/`const class` were counted apart. */
export const LEGACY_MAIN_KINDS = [
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
type LegacyKind = (typeof LEGACY_MAIN_KINDS)[number] | 'const function' | 'const class';

/** The cogo object kind(s) each definition kind is represented by (after issue 13). */
const COGO_KINDS: Record<DefKind, readonly string[]> = {
  function: ['function'],
  'callable const': ['function'],
  'other const': ['variable'],
  class: ['class'],
  interface: ['interface'],
  'type alias': ['type'],
  enum: ['type'],
  'enum member': ['variable'],
  namespace: ['namespace'],
  method: ['method'],
  'method signature': ['method'],
  constructor: ['method'],
  accessor: ['method'],
  'object-literal method': ['method'],
  'arrow property': ['method'],
  'default export': ['variable'],
};

/** Functions bound to a value: the "value-bound" call subset. */
export const VALUE_BOUND_KINDS: ReadonlySet<DefKind> = new Set([
  'callable const',
  'object-literal method',
  'arrow property',
]);

/** Kinds a call can target (SCIP also references a same-named interface or type alias at a call site). */
const CALLEE_KINDS: ReadonlySet<DefKind> = new Set([
  'class',
  'function',
  'method',
  'method signature',
  'constructor',
  'accessor',
  'callable const',
  'object-literal method',
  'arrow property',
]);
/**
 * Kinds that are not callers: none. A call belongs to the innermost definition around it, whatever its
 * kind (the rule of issue 2, where SCIP's definitions decided it): a call in the initializer of a
 * non-callable const (`export const Person = z.object({...})`), an enum member, a namespace body or an
 * `export default <expression>` is made by that definition, not by the module.
 */
const NOT_CALLER_KINDS: ReadonlySet<DefKind> = new Set([]);

const LEGACY_CALLEE_KINDS: ReadonlySet<LegacyKind> = new Set([
  'class',
  'function',
  'method',
  'method signature',
  'constructor',
  'accessor',
  'const function',
  'const class',
]);

/** How a callable const gets its value. */
export type InitForm = 'function or class expression' | 'call' | 'other expression' | 'destructured';

/** One definition: a SCIP definition (a symbol of a file, every place it is declared), or a parsed one SCIP has none for. */
export interface Def {
  readonly path: string;
  readonly key: string;
  readonly symbol: string | null;
  readonly kind: DefKind;
  /** The kind issue 2's harness gave it, when it counted it. */
  readonly legacyKind: LegacyKind | undefined;
  readonly name: string;
  readonly qualified: string;
  readonly exported: boolean;
  /** `scip`: SCIP has a definition occurrence; `parse`: SCIP has none (`export * as X`, `export default <expr>`). */
  readonly source: 'scip' | 'parse';
  readonly initForm: InitForm | undefined;
  readonly cogoKinds: readonly string[];
  /** 1-based lines of the definition occurrences (several for overloads and merged declarations). */
  readonly lines: number[];
  readonly enclosing: Array<readonly [number, number]>;
  readonly nodes: ts.Node[];
  /** Set once matched: the cogo object of the same file, name and kind. */
  match?: CogoObject;
  /** True when `match` also contains the first definition line. */
  strict?: boolean;
}

const unwrap = (e: ts.Expression): ts.Expression => {
  let x = e;
  while (
    ts.isParenthesizedExpression(x) ||
    ts.isAsExpression(x) ||
    ts.isSatisfiesExpression(x) ||
    ts.isNonNullExpression(x) ||
    ts.isTypeAssertionExpression(x)
  )
    x = x.expression;
  return x;
};

/** Issue 2's test: the function or class expression a variable is bound to, through `( )`, `as` and `satisfies`. */
function legacyBound(init: ts.Expression | undefined): ts.Expression | undefined {
  let e = init;
  while (e && (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e)))
    e = e.expression;
  if (e && (ts.isArrowFunction(e) || ts.isFunctionExpression(e) || ts.isClassExpression(e))) return e;
  return undefined;
}

/** Issue 2's classification of a declaration node, kept for the "as before" figures. */
function legacyClassify(node: ts.Node): LegacyKind | undefined {
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
    const bound = legacyBound(node.initializer);
    if (bound) return ts.isClassExpression(bound) ? 'const class' : 'const function';
  }
  return undefined;
}

/** The variable statement of a declaration when it is at module scope (a file or a namespace body). */
function moduleScopeStatement(decl: ts.VariableDeclaration): ts.VariableStatement | undefined {
  const list = decl.parent;
  if (!ts.isVariableDeclarationList(list) || !ts.isVariableStatement(list.parent)) return undefined;
  const statement = list.parent;
  return ts.isSourceFile(statement.parent) || ts.isModuleBlock(statement.parent) ? statement : undefined;
}

/** The module-scope `const x = …` a binding element destructures, if any. */
function bindingRoot(be: ts.BindingElement): ts.VariableDeclaration | undefined {
  let p: ts.Node = be.parent;
  while (ts.isObjectBindingPattern(p) || ts.isArrayBindingPattern(p) || ts.isBindingElement(p)) p = p.parent;
  return ts.isVariableDeclaration(p) && moduleScopeStatement(p) ? p : undefined;
}

/** The module-scope `const obj = { … }` an object literal is the value of (through `( )`, `as`, `satisfies`). */
function literalOwner(lit: ts.ObjectLiteralExpression): ts.VariableDeclaration | undefined {
  let p: ts.Node = lit.parent;
  while (
    ts.isParenthesizedExpression(p) ||
    ts.isAsExpression(p) ||
    ts.isSatisfiesExpression(p) ||
    ts.isTypeAssertionExpression(p)
  )
    p = p.parent;
  if (!ts.isVariableDeclaration(p) || !p.initializer || unwrap(p.initializer) !== lit) return undefined;
  return ts.isIdentifier(p.name) && moduleScopeStatement(p) ? p : undefined;
}

const isFunctionValue = (e: ts.Expression | undefined): boolean =>
  e !== undefined && (ts.isArrowFunction(unwrap(e)) || ts.isFunctionExpression(unwrap(e)));

function propertyNameText(name: ts.PropertyName | ts.BindingName | undefined): string | undefined {
  if (!name) return undefined;
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name)) return name.text;
  if (ts.isStringLiteralLike(name) || ts.isNumericLiteral(name)) return name.text;
  return undefined;
}

interface Classified {
  readonly kind: DefKind;
  readonly initForm?: InitForm;
  /** Also accepted as the cogo kind (a const bound to a class expression may stay a cogo class). */
  readonly alsoCogo?: string;
}

/** The benchmark's own classification of a declaration node, or why it is not counted. */
function classify(node: ts.Node, checker: ts.TypeChecker | undefined): Classified | { excluded: string } {
  // Without a checker (a file outside the program), only a function or class initializer says so.
  const callable = (at: ts.Node, init?: ts.Expression): boolean => {
    if (!checker) return legacyBound(init) !== undefined;
    const type = checker.getTypeAtLocation(at);
    return type.getCallSignatures().length > 0 || type.getConstructSignatures().length > 0;
  };
  if (ts.isFunctionDeclaration(node)) return { kind: 'function' };
  if (ts.isClassDeclaration(node) || ts.isClassExpression(node)) return { kind: 'class' };
  if (ts.isInterfaceDeclaration(node)) return { kind: 'interface' };
  if (ts.isTypeAliasDeclaration(node)) return { kind: 'type alias' };
  if (ts.isEnumDeclaration(node)) return { kind: 'enum' };
  if (ts.isEnumMember(node)) return { kind: 'enum member' };
  if (ts.isModuleDeclaration(node))
    return ts.isIdentifier(node.name) && !(node.flags & ts.NodeFlags.GlobalAugmentation)
      ? { kind: 'namespace' }
      : { excluded: 'ambient module or global augmentation' };
  if (ts.isConstructorDeclaration(node)) return { kind: 'constructor' };
  if (ts.isMethodSignature(node))
    return ts.isTypeLiteralNode(node.parent)
      ? { excluded: 'member of an anonymous type literal' }
      : { kind: 'method signature' };
  if (ts.isGetAccessorDeclaration(node) || ts.isSetAccessorDeclaration(node))
    return ts.isObjectLiteralExpression(node.parent)
      ? { excluded: 'object-literal accessor' }
      : { kind: 'accessor' };
  if (ts.isMethodDeclaration(node)) {
    if (ts.isClassLike(node.parent)) return { kind: 'method' };
    if (ts.isObjectLiteralExpression(node.parent) && literalOwner(node.parent))
      return { kind: 'object-literal method' };
    return { excluded: 'method of an object literal that is not a module-scope const' };
  }
  if (ts.isPropertyAssignment(node)) {
    if (
      ts.isObjectLiteralExpression(node.parent) &&
      literalOwner(node.parent) &&
      isFunctionValue(node.initializer)
    )
      return { kind: 'object-literal method' };
    return { excluded: 'object-literal property (not a function of a module-scope const)' };
  }
  if (ts.isPropertyDeclaration(node)) {
    if (ts.isClassLike(node.parent) && isFunctionValue(node.initializer)) return { kind: 'arrow property' };
    return { excluded: 'class property (not an arrow/function initializer)' };
  }
  if (ts.isVariableDeclaration(node)) {
    if (!ts.isIdentifier(node.name) || !moduleScopeStatement(node))
      return { excluded: 'not a module-scope variable' };
    const init = node.initializer ? unwrap(node.initializer) : undefined;
    if (!callable(node.name, node.initializer)) return { kind: 'other const' };
    const form: InitForm =
      init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init) || ts.isClassExpression(init))
        ? 'function or class expression'
        : init && (ts.isCallExpression(init) || ts.isNewExpression(init))
          ? 'call'
          : 'other expression';
    return {
      kind: 'callable const',
      initForm: form,
      ...(init && ts.isClassExpression(init) ? { alsoCogo: 'class' } : {}),
    };
  }
  if (ts.isBindingElement(node)) {
    if (!ts.isIdentifier(node.name) || !bindingRoot(node)) return { excluded: 'not a module-scope binding' };
    return callable(node.name)
      ? { kind: 'callable const', initForm: 'destructured' }
      : { kind: 'other const' };
  }
  if (ts.isParameter(node)) return { excluded: 'parameter' };
  if (ts.isTypeParameterDeclaration(node)) return { excluded: 'type parameter' };
  if (ts.isPropertySignature(node)) return { excluded: 'property signature' };
  return { excluded: `other declaration (${ts.SyntaxKind[node.kind]})` };
}

/** SCIP names `<constructor>`, `<get>x`, `<set>x` and keeps the quotes of `'x'() {}`; cogo does neither. */
function normalizeName(name: string): string {
  if (name === '<constructor>') return 'constructor';
  const bare = name.replace(/^<[gs]et>/, '');
  return /^(['"]).*\1$/.test(bare) ? bare.slice(1, -1) : bare;
}

function posKey(line: number, char: number): string {
  return `${line}:${char}`;
}

/** Where SCIP puts a declaration's definition occurrence: its name, or the first token of a constructor. */
function declarationKey(node: ts.Node, sf: ts.SourceFile): string | undefined {
  let at: ts.Node | undefined;
  if (ts.isConstructorDeclaration(node)) at = node.getFirstToken(sf) ?? node;
  else if (
    ts.isPropertyAccessExpression(node) ||
    ts.isQualifiedName(node) ||
    ts.isMetaProperty(node) ||
    ts.isJsxAttribute(node)
  )
    return undefined;
  else {
    const name = (node as ts.NamedDeclaration).name;
    if (name && typeof name === 'object' && 'kind' in name) at = name;
  }
  if (!at) return undefined;
  const p = sf.getLineAndCharacterOfPosition(at.getStart(sf));
  return posKey(p.line, p.character);
}

/** Whether declarations are exported from their module (the checker's exports, aliases resolved). */
class ExportIndex {
  private readonly fileExports = new Map<ts.SourceFile, Set<ts.Node>>();
  private readonly memo = new Map<ts.Node, boolean>();
  private readonly checker: ts.TypeChecker | undefined;
  constructor(checker: ts.TypeChecker | undefined) {
    this.checker = checker;
  }

  /** The declaration nodes of everything a file exports (through `export { x }` and `export default x` too). */
  private exportsOf(sf: ts.SourceFile): Set<ts.Node> {
    let set = this.fileExports.get(sf);
    if (set) return set;
    set = new Set();
    const moduleSymbol = this.checker?.getSymbolAtLocation(sf);
    if (this.checker && moduleSymbol)
      for (const s of this.checker.getExportsOfModule(moduleSymbol)) {
        const target = s.flags & ts.SymbolFlags.Alias ? this.checker.getAliasedSymbol(s) : s;
        for (const d of target.declarations ?? []) set.add(d);
      }
    this.fileExports.set(sf, set);
    return set;
  }

  private static modifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
    return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);
  }

  /** A declaration (`node`) of a statement at file level or in a namespace body: exported from its container. */
  private declared(node: ts.Node, statement: ts.Node): boolean {
    const parent = statement.parent;
    const exportKeyword = ExportIndex.modifier(statement, ts.SyntaxKind.ExportKeyword);
    if (ts.isSourceFile(parent)) {
      if (exportKeyword && ExportIndex.modifier(statement, ts.SyntaxKind.DefaultKeyword)) return true;
      return this.checker ? this.exportsOf(parent).has(node) : exportKeyword;
    }
    if (ts.isModuleBlock(parent)) {
      const ns = parent.parent;
      // `declare global { … }` and `declare module 'x' { … }` declare global or external API.
      if (!ts.isIdentifier(ns.name) || ns.flags & ts.NodeFlags.GlobalAugmentation) return true;
      if (!this.of(ns)) return false;
      const nsSymbol = this.checker?.getSymbolAtLocation(ns.name);
      if (!nsSymbol?.exports) return exportKeyword;
      let found = false;
      nsSymbol.exports.forEach((s) => {
        if (s.declarations?.includes(node as ts.Declaration)) found = true;
      });
      return found;
    }
    if (ts.isModuleDeclaration(parent)) return this.of(parent); // `namespace A.B`
    return false;
  }

  of(node: ts.Node): boolean {
    const known = this.memo.get(node);
    if (known !== undefined) return known;
    let result: boolean;
    const parent = node.parent;
    if (ts.isVariableDeclaration(node)) {
      const statement = moduleScopeStatement(node);
      result = statement ? this.declared(node, statement) : false;
    } else if (ts.isBindingElement(node)) {
      const root = bindingRoot(node);
      const statement = root && moduleScopeStatement(root);
      result = statement ? this.declared(node, statement) : false;
    } else if (ts.isClassLike(parent) && !ts.isClassExpression(parent)) {
      const name = (node as ts.NamedDeclaration).name;
      const isPrivate =
        (name !== undefined && ts.isPrivateIdentifier(name)) ||
        ExportIndex.modifier(node, ts.SyntaxKind.PrivateKeyword);
      result = !isPrivate && this.of(parent);
    } else if (ts.isInterfaceDeclaration(parent) || ts.isEnumDeclaration(parent)) result = this.of(parent);
    else if (ts.isObjectLiteralExpression(parent)) {
      const owner = literalOwner(parent);
      result = owner ? this.of(owner) : false;
    } else if (
      ts.isFunctionDeclaration(node) ||
      ts.isClassDeclaration(node) ||
      ts.isInterfaceDeclaration(node) ||
      ts.isTypeAliasDeclaration(node) ||
      ts.isEnumDeclaration(node) ||
      ts.isModuleDeclaration(node)
    )
      result = this.declared(node, node);
    else result = false;
    this.memo.set(node, result);
    return result;
  }
}

/** The qualified name the benchmark gives a declaration SCIP has no usable global symbol for. */
function ownQualified(node: ts.Node): string {
  const parts: string[] = [];
  for (let n: ts.Node | undefined = node; n && !ts.isSourceFile(n); n = n.parent) {
    if (ts.isObjectBindingPattern(n) || ts.isArrayBindingPattern(n)) {
      // `const { a } = …`: the binding's own name only.
      while (n.parent && !ts.isVariableStatement(n.parent)) n = n.parent;
      continue;
    }
    if (
      ts.isModuleDeclaration(n) ||
      ts.isClassLike(n) ||
      ts.isInterfaceDeclaration(n) ||
      ts.isEnumDeclaration(n) ||
      ts.isVariableDeclaration(n) ||
      ts.isBindingElement(n) ||
      ts.isMethodDeclaration(n) ||
      ts.isPropertyAssignment(n) ||
      ts.isPropertyDeclaration(n) ||
      ts.isEnumMember(n) ||
      ts.isFunctionDeclaration(n) ||
      ts.isNamespaceExport(n)
    ) {
      const text = propertyNameText((n as ts.NamedDeclaration).name as ts.PropertyName | undefined);
      if (text !== undefined) parts.unshift(text);
    }
  }
  return parts.join('.');
}

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
  /** Definitions enclosing the call, innermost first. */
  readonly enclosing: readonly Def[];
}

function calleeName(call: ts.CallExpression | ts.NewExpression): ts.Node | undefined {
  const e = unwrap(call.expression);
  if (ts.isPropertyAccessExpression(e)) return e.name;
  if (ts.isIdentifier(e) || e.kind === ts.SyntaxKind.SuperKeyword) return e;
  if (ts.isElementAccessExpression(e) && ts.isStringLiteralLike(e.argumentExpression))
    return e.argumentExpression;
  return undefined;
}

export interface Fraction {
  readonly total: number;
  readonly found: number;
  readonly recall: number | null;
}

export interface DefinitionResult {
  /** Every counted definition (module scope: top-level declarations, namespace members and their members). */
  readonly all: Fraction;
  /** Those exported from their module (members of exported classes, interfaces, enums, objects included). */
  readonly exported: Fraction;
  readonly byKind: Record<string, { all: Fraction; exported: Fraction }>;
  /** Callable consts by how they get their value. */
  readonly callableConstByInit: Record<string, { all: Fraction; exported: Fraction }>;
  /** Issue 2's definitions and figures, computed as issue 2's harness did. */
  readonly legacy: {
    readonly total: number;
    readonly found: number;
    readonly recall: number | null;
    readonly constBound: Record<string, { total: number; found: number }>;
  };
  /** Definitions SCIP has no occurrence for (taken from the parse), by kind. */
  readonly parseOnly: Record<string, number>;
  /** SCIP definitions not counted, by reason. */
  readonly excluded: Record<string, number>;
  readonly misses: Array<{
    where: string;
    kind: DefKind;
    qualified: string;
    exported: boolean;
    reason: string;
  }>;
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
    /**
     * Callable consts: SCIP's enclosing_range is the initializer's function expression, cogo's span the
     * whole statement (type annotation and all), so only containment is checked.
     */
    readonly callableConstWithEnclosingRange: number;
    readonly callableConstContained: number;
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

export interface EdgeScore {
  readonly scipEdges: number;
  /** SCIP edges whose callee is a repo definition cogo also has (issue 2's recall denominator). */
  readonly scipEdgesCalleeInCogo: number;
  readonly recalled: number;
  /** recalled / scipEdgesCalleeInCogo. */
  readonly recall: number | null;
  /** recalled / scipEdges: every SCIP edge to a repo callable, whether or not cogo has the callee. */
  readonly recallAll: number | null;
  readonly cogoEdges: number;
  readonly confirmed: number;
  readonly precision: number | null;
}

export interface CallResult {
  readonly scipCallSites: number;
  readonly scipSitesToRepoDefinitions: number;
  readonly cogoEdges: number;
  /** cogo edges from `super(...)` calls: SCIP has no occurrence for `super`, so it can neither confirm nor refute them. */
  readonly superEdges: number;
  /** cogo edges in files scip-typescript did not index (outside the root tsconfig.json's files). */
  readonly outsideScipEdges: number;
  /**
   * Call sites where SCIP's reference at the callee name is a local symbol the document never defines
   * (scip-typescript does this for a renamed re-export reached through a namespace import,
   * `ns.lowercase` for `export { _lowercase as lowercase }`): SCIP cannot name their callee.
   */
  readonly danglingSites: number;
  /** cogo edges at such call sites (SCIP can neither confirm nor refute them). */
  readonly danglingEdges: number;
  /** cogo edges whose caller SCIP has no symbol for (an object-literal method, say): neither confirmed nor refuted. */
  readonly noCallerSymbolEdges: number;
  /** Every definition kind as callee and caller (issue 13). */
  readonly raw: EdgeScore;
  /** The same, with SCIP's `new Foo()` references moved from `Foo#<constructor>` to the class Foo. */
  readonly normalized: EdgeScore;
  /** Calls whose callee is a value-bound function (callable const, object-literal method, arrow property). */
  readonly valueBound: EdgeScore;
  /** SCIP edges by callee kind: how many, how many cogo has. */
  readonly byCalleeKind: Record<string, { scipEdges: number; calleeInCogo: number; recalled: number }>;
  /** Issue 2's edges: its definitions as callers and callees, as its harness computed them. */
  readonly legacy: EdgeScore;
  readonly unconfirmedReasons: Record<string, number>;
  readonly unconfirmedExamples: string[];
  readonly missedReasons: Record<string, number>;
  readonly missedExamples: string[];
}

export interface Comparison {
  readonly files: { readonly scip: number; readonly cogo: number; readonly common: number };
  /** Type-check errors of the sources under their tsconfig.json (the benchmark's own program). */
  readonly typeErrors: { readonly count: number; readonly byCode: Record<string, number> };
  readonly definitions: DefinitionResult;
  readonly calls: CallResult;
  /** With `detail`: every definition and SCIP call edge (for the fixture check). */
  readonly detail?: {
    readonly definitions: Array<{
      where: string;
      kind: DefKind;
      initForm: InitForm | undefined;
      qualified: string;
      exported: boolean;
      source: 'scip' | 'parse';
      cogo: string | null;
    }>;
    readonly scipEdges: Array<{
      where: string;
      text: string;
      caller: string;
      callee: string;
      calleeKind: DefKind;
      cogoHasIt: boolean;
    }>;
  };
}

const ratio = (n: number, d: number): number | null =>
  d === 0 ? null : Math.round((n / d) * 10_000) / 10_000;

function inc(rec: Record<string, number>, key: string, by = 1): void {
  // Object.hasOwn: a key such as `constructor` must not read Object.prototype's.
  rec[key] = (Object.hasOwn(rec, key) ? rec[key]! : 0) + by;
}

function inSpan(o: CogoObject, line: number): boolean {
  return o.start_line !== null && o.end_line !== null && o.start_line <= line && line <= o.end_line;
}

function fraction(defs: readonly Def[]): Fraction {
  const found = defs.filter((d) => d.strict).length;
  return { total: defs.length, found, recall: ratio(found, defs.length) };
}

/** The program both tools compiled: the root tsconfig.json, as scip-typescript reads it. */
function loadProgram(root: string): ts.Program | undefined {
  const configPath = join(root, 'tsconfig.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  );
  if (!parsed) return undefined;
  return ts.createProgram({
    rootNames: parsed.fileNames,
    options: parsed.options,
    ...(parsed.projectReferences ? { projectReferences: parsed.projectReferences } : {}),
  });
}

export interface CompareOptions {
  readonly maxList?: number;
  /** Count the program's type-check errors (a full check: seconds on a large target). */
  readonly typeCheck?: boolean;
  /** Also return every definition and SCIP edge, one line each. */
  readonly detail?: boolean;
}

/**
 * Compares one target. `root` holds the sources both tools indexed; `scipFile` the SCIP index;
 * `cogoDir` cogo's JSONL export.
 */
export function compare(
  root: string,
  scipFile: string,
  cogoDir: string,
  options: CompareOptions = {},
): Comparison {
  const maxList = options.maxList ?? 30;
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

  const program = loadProgram(root);
  const checker = program?.getTypeChecker();
  const typeErrors = { count: 0, byCode: {} as Record<string, number> };
  if (program && options.typeCheck)
    for (const d of ts.getPreEmitDiagnostics(program))
      if (d.category === ts.DiagnosticCategory.Error) {
        typeErrors.count++;
        inc(typeErrors.byCode, `TS${d.code}`);
      }
  const exportIndex = new ExportIndex(checker);

  // Pass 1: every SCIP definition occurrence, classified from its declaration node; then the
  // declarations SCIP has no occurrence for.
  const defsByKey = new Map<string, Def>();
  const defs: Def[] = [];
  const defByNode = new Map<ts.Node, Def>();
  const excluded: Record<string, number> = {};
  const sources = new Map<string, ts.SourceFile>();
  const keyOf = (path: string, symbol: string) =>
    symbol.startsWith('local ') ? `${path}\u0000${symbol}` : symbol;
  for (const doc of docs) {
    const abs = resolve(root, doc.path);
    const sf =
      program?.getSourceFile(abs) ??
      ts.createSourceFile(doc.path, readFileSync(abs, 'utf8'), ts.ScriptTarget.Latest, true);
    const fileChecker = program?.getSourceFile(abs) ? checker : undefined;
    sources.set(doc.path, sf);
    const byKey = new Map<string, ts.Node>();
    const visit = (node: ts.Node): void => {
      const key = declarationKey(node, sf);
      if (key !== undefined && !byKey.has(key)) byKey.set(key, node);
      ts.forEachChild(node, visit);
    };
    visit(sf);
    for (const occ of doc.occurrences) {
      if (!occ.definition) continue;
      const descriptors = parseSymbol(occ.symbol);
      const local = descriptors === 'local';
      const last = local ? undefined : descriptors.at(-1);
      if (!local && (!last || last.suffix === 'parameter' || last.suffix === 'type-parameter')) continue;
      if (
        !local &&
        last!.suffix === 'namespace' &&
        last!.name === basename(doc.path) &&
        descriptors.every((d) => d.suffix === 'namespace')
      )
        continue; // the file itself (`src/`a.ts`/`)
      const node = byKey.get(posKey(occ.line, occ.char));
      if (!node) {
        if (!local) inc(excluded, 'no declaration node at the occurrence');
        continue;
      }
      const c = classify(node, fileChecker);
      // Issue 2's definitions, exactly as its harness chose them.
      let legacyKind: LegacyKind | undefined;
      if (!local && !descriptors.some((d) => d.suffix === 'meta')) {
        const lk = legacyClassify(node);
        if (last!.suffix === 'term')
          legacyKind = lk === 'const function' || lk === 'const class' ? lk : undefined;
        else if (last!.suffix === 'type' || last!.suffix === 'method')
          legacyKind = lk === 'const function' || lk === 'const class' ? undefined : lk;
      }
      if ('excluded' in c) {
        if (!local) inc(excluded, c.excluded);
        continue;
      }
      // Locals are counted only for module-scope declarations SCIP gives no global symbol
      // (destructured consts, shorthand methods of exported objects).
      if (
        local &&
        c.kind !== 'callable const' &&
        c.kind !== 'other const' &&
        c.kind !== 'object-literal method'
      )
        continue;
      if (local && ts.isVariableDeclaration(node)) continue; // a global-less variable is not module scope
      const hasMeta = !local && descriptors.some((d) => d.suffix === 'meta');
      if (hasMeta && c.kind !== 'object-literal method') {
        inc(excluded, `${c.kind} inside an anonymous type`);
        continue;
      }
      const key = keyOf(doc.path, occ.symbol);
      let def = defsByKey.get(key);
      if (!def) {
        const useScipName = !local && !hasMeta;
        const fileAt = useScipName
          ? descriptors.findIndex((d) => d.suffix === 'namespace' && d.name === basename(doc.path))
          : -1;
        const name = useScipName
          ? normalizeName(last!.name)
          : (propertyNameText((node as ts.NamedDeclaration).name as ts.PropertyName) ?? '?');
        def = {
          path: doc.path,
          key,
          symbol: occ.symbol,
          kind: c.kind,
          legacyKind,
          name,
          qualified: useScipName
            ? (descriptors as Descriptor[])
                .slice(fileAt + 1)
                .map((d) => normalizeName(d.name))
                .join('.')
            : ownQualified(node),
          exported: exportIndex.of(node),
          source: 'scip',
          initForm: c.initForm,
          cogoKinds: c.alsoCogo ? [...COGO_KINDS[c.kind], c.alsoCogo] : COGO_KINDS[c.kind],
          lines: [],
          enclosing: [],
          nodes: [],
        };
        defsByKey.set(key, def);
        defs.push(def);
      } else if (def.path !== doc.path) throw new Error(`symbol defined in two files: ${key}`);
      def.lines.push(occ.line + 1);
      if (occ.enclosing) def.enclosing.push(occ.enclosing);
      def.nodes.push(node);
      if (!defByNode.has(node)) defByNode.set(node, def);
    }
    // Computed-name members of module-scope classes (`[Hash.symbol]() {}`): SCIP emits no symbol for them,
    // cogo names them by their source text; the calls in them need their caller.
    for (const cls of defs.filter((d) => d.path === doc.path && d.kind === 'class')) {
      for (const node of cls.nodes) {
        if (!ts.isClassLike(node)) continue;
        for (const member of node.members) {
          if (
            !(ts.isMethodDeclaration(member) || ts.isGetAccessor(member) || ts.isSetAccessor(member)) ||
            !member.name ||
            !ts.isComputedPropertyName(member.name) ||
            defByNode.has(member)
          )
            continue;
          const name = member.name.getText(sf);
          const def: Def = {
            path: doc.path,
            key: `${doc.path}\u0000parse:${member.getStart(sf)}`,
            symbol: null,
            kind: ts.isMethodDeclaration(member) ? 'method' : 'accessor',
            legacyKind: undefined,
            name,
            qualified: `${cls.qualified}.${name}`,
            exported: exportIndex.of(member),
            source: 'parse',
            initForm: undefined,
            cogoKinds: ['method'],
            lines: [sf.getLineAndCharacterOfPosition(member.name.getStart(sf)).line + 1],
            enclosing: [],
            nodes: [member],
          };
          defsByKey.set(def.key, def);
          defs.push(def);
          defByNode.set(member, def);
        }
      }
    }
    // `export * as X from` (SCIP references the module at X) and `export default <expression>`
    // (SCIP has no symbol): from the parse alone.
    for (const statement of sf.statements) {
      let node: ts.Node | undefined;
      let kind: DefKind | undefined;
      let name = '';
      if (
        ts.isExportDeclaration(statement) &&
        statement.exportClause &&
        ts.isNamespaceExport(statement.exportClause)
      ) {
        node = statement.exportClause;
        kind = 'namespace';
        name = propertyNameText(statement.exportClause.name as ts.Identifier) ?? '?';
      } else if (
        (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement)) &&
        !statement.name &&
        (ts.getModifiers(statement) ?? []).some((m) => m.kind === ts.SyntaxKind.DefaultKeyword)
      ) {
        // `export default function () {}`: SCIP has no symbol; the calls in it need their caller.
        node = statement;
        kind = ts.isFunctionDeclaration(statement) ? 'function' : 'class';
        name = 'default';
      } else if (
        ts.isExportAssignment(statement) &&
        !statement.isExportEquals &&
        !ts.isIdentifier(unwrap(statement.expression))
      ) {
        node = statement;
        kind = 'default export';
        name = 'default';
      }
      if (!node || !kind) continue;
      const at = ts.isNamespaceExport(node) ? node.name : node;
      const line = sf.getLineAndCharacterOfPosition(at.getStart(sf)).line + 1;
      const def: Def = {
        path: doc.path,
        key: `${doc.path}\u0000parse:${at.getStart(sf)}`,
        symbol: null,
        kind,
        legacyKind: undefined,
        name,
        qualified: name,
        exported: true,
        source: 'parse',
        initForm: undefined,
        cogoKinds: COGO_KINDS[kind],
        lines: [line],
        enclosing: [],
        nodes: [node],
      };
      defsByKey.set(def.key, def);
      defs.push(def);
      defByNode.set(node, def);
    }
  }

  // Match definitions to cogo objects: same file, name and kind; prefer the qualified name and the span.
  const matchedIds = new Set<string>();
  for (const def of defs) {
    const candidates = (objectsByPath.get(def.path) ?? []).filter(
      (o) => o.name === def.name && def.cogoKinds.includes(o.kind),
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

  // Call sites, with every definition enclosing them (innermost first).
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
          const enclosing: Def[] = [];
          for (let p: ts.Node | undefined = node.parent; p; p = p.parent) {
            const d = defByNode.get(p);
            if (d) enclosing.push(d);
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
            enclosing,
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
      set.add(keyOf(doc.path, occ.symbol));
      refsAt.set(key, set);
    }

  const definedLocals = new Set<string>();
  for (const doc of docs)
    for (const occ of doc.occurrences)
      if (occ.definition && occ.symbol.startsWith('local ')) definedLocals.add(keyOf(doc.path, occ.symbol));
  const { result: calls, edges } = scoreCalls(
    new Set(docs.map((d) => d.path)),
    definedLocals,
    sites,
    refsAt,
    defsByKey,
    moduleByPath,
    objectById,
    cogo.relations,
    maxList,
  );
  const comparison: Comparison = {
    files: { scip: docs.length, cogo: cogoPaths.size, common },
    typeErrors,
    definitions,
    calls,
  };
  if (!options.detail) return comparison;
  const cogoKeys = new Set(
    cogo.relations.filter((r) => r.kind === 'calls').map((r) => `${r.src_id}->${r.dst_id}`),
  );
  return {
    ...comparison,
    detail: {
      definitions: defs.map((d) => ({
        where: `${d.path}:${d.lines.join(',')}`,
        kind: d.kind,
        initForm: d.initForm,
        qualified: d.qualified,
        exported: d.exported,
        source: d.source,
        cogo: d.strict ? `${d.match!.kind} ${d.match!.qualified_name}` : null,
      })),
      scipEdges: [...edges.values()].map((e) => ({
        where: `${e.site.path}:${e.site.line}`,
        text: e.site.text,
        caller: e.caller?.qualified ?? '<module>',
        callee: e.callee.qualified,
        calleeKind: e.callee.kind,
        cogoHasIt: cogoKeys.has(e.key),
      })),
    },
  };
}

function scoreDefinitions(
  defs: readonly Def[],
  objectsByPath: ReadonlyMap<string, CogoObject[]>,
  objects: readonly CogoObject[],
  matchedIds: ReadonlySet<string>,
  excluded: Record<string, number>,
  maxList: number,
): DefinitionResult {
  const byKind: DefinitionResult['byKind'] = {};
  for (const kind of DEF_KINDS) {
    const of = defs.filter((d) => d.kind === kind);
    byKind[kind] = { all: fraction(of), exported: fraction(of.filter((d) => d.exported)) };
  }
  const callableConstByInit: DefinitionResult['callableConstByInit'] = {};
  for (const form of [
    'function or class expression',
    'call',
    'other expression',
    'destructured',
  ] as const satisfies readonly InitForm[]) {
    const of = defs.filter((d) => d.kind === 'callable const' && d.initForm === form);
    callableConstByInit[form] = { all: fraction(of), exported: fraction(of.filter((d) => d.exported)) };
  }
  const legacyMain = defs.filter(
    (d) => d.legacyKind !== undefined && (LEGACY_MAIN_KINDS as readonly string[]).includes(d.legacyKind),
  );
  const constBound: DefinitionResult['legacy']['constBound'] = {};
  for (const kind of ['const function', 'const class'] as const) {
    const of = defs.filter((d) => d.legacyKind === kind);
    constBound[kind] = { total: of.length, found: of.filter((d) => d.strict).length };
  }
  const parseOnly: Record<string, number> = {};
  for (const d of defs) if (d.source === 'parse') inc(parseOnly, d.kind);

  const misses: DefinitionResult['misses'] = [];
  const missReasons: Record<string, number> = {};
  const perKindListed: Record<string, number> = {};
  for (const d of defs) {
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
    // A few examples of every kind rather than the first kind's.
    const quota = Math.max(3, Math.ceil(maxList / 6));
    if (misses.length < maxList * 2 && (perKindListed[d.kind] ?? 0) < quota) {
      inc(perKindListed, d.kind);
      misses.push({
        where: `${d.path}:${d.lines[0]}`,
        kind: d.kind,
        qualified: d.qualified,
        exported: d.exported,
        reason,
      });
    }
  }

  const matched = defs.filter((d) => d.match);
  const inside = matched.filter((d) => d.lines.every((l) => inSpan(d.match!, l)));
  const withEnclosing = matched.filter((d) => d.enclosing.length > 0 && d.kind !== 'callable const');
  const constsWithEnclosing = matched.filter((d) => d.enclosing.length > 0 && d.kind === 'callable const');
  const contained = constsWithEnclosing.filter((d) =>
    d.enclosing.every((e) => d.match!.start_line! <= e[0] && e[1] <= d.match!.end_line!),
  );
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
  const legacyFound = legacyMain.filter((d) => d.strict).length;
  return {
    all: fraction(defs),
    exported: fraction(defs.filter((d) => d.exported)),
    byKind,
    callableConstByInit,
    legacy: {
      total: legacyMain.length,
      found: legacyFound,
      recall: ratio(legacyFound, legacyMain.length),
      constBound,
    },
    parseOnly,
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
      callableConstWithEnclosingRange: constsWithEnclosing.length,
      callableConstContained: contained.length,
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
const OUTSIDE_REASON = 'the call is in a file scip-typescript did not index (outside its tsconfig.json)';
const DANGLING_REASON =
  'SCIP has only a dangling local symbol at the callee name (a renamed re-export through a namespace import)';
/** SCIP gives object-literal methods (`{ m() {} }`), anonymous default exports and computed names no global symbol. */
const NO_CALLER_SYMBOL_REASON =
  'caller has no SCIP symbol (object-literal method, anonymous `export default`, computed-name method)';

interface ScipEdge {
  readonly key: string;
  readonly callerId: string | undefined;
  readonly calleeId: string | undefined;
  readonly site: CallSite;
  readonly caller: Def | undefined;
  readonly callee: Def;
  /** Several repo definitions at one call site (merged declarations). */
  readonly ambiguous: boolean;
  readonly constructorAtNew: boolean;
}

/** Which definitions are callees and callers: issue 13's kinds, or issue 2's as its harness had them. */
interface EdgeMode {
  readonly callee: (d: Def) => boolean;
  readonly caller: (d: Def) => boolean;
}
const FULL: EdgeMode = {
  callee: (d) => CALLEE_KINDS.has(d.kind),
  caller: (d) => !NOT_CALLER_KINDS.has(d.kind),
};
const LEGACY: EdgeMode = {
  callee: (d) => d.legacyKind !== undefined && LEGACY_CALLEE_KINDS.has(d.legacyKind),
  caller: (d) => d.legacyKind !== undefined,
};

function scoreCalls(
  scipPaths: ReadonlySet<string>,
  definedLocals: ReadonlySet<string>,
  sites: readonly CallSite[],
  refsAt: ReadonlyMap<string, ReadonlySet<string>>,
  defsByKey: ReadonlyMap<string, Def>,
  moduleByPath: ReadonlyMap<string, CogoObject>,
  objectById: ReadonlyMap<string, CogoObject>,
  relations: readonly CogoRelation[],
  maxList: number,
): { result: CallResult; edges: ReadonlyMap<string, ScipEdge> } {
  const label = (id: string | undefined): string => {
    const o = id === undefined ? undefined : objectById.get(id);
    return o ? (o.kind === 'module' ? `<module ${o.file_path}>` : o.qualified_name) : '?';
  };
  /** The callable repo definitions SCIP references at a call site; `new Foo()` -> Foo when normalizing. */
  const calleesAt = (
    site: CallSite,
    mode: EdgeMode,
    normalize: boolean,
  ): Array<{ def: Def; ctor: boolean }> => {
    const out: Array<{ def: Def; ctor: boolean }> = [];
    for (const key of refsAt.get(`${site.path}:${posKey(site.nameLine, site.nameChar)}`) ?? []) {
      let def = defsByKey.get(key);
      if (!def || !mode.callee(def)) continue;
      const ctor = site.isNew && def.kind === 'constructor';
      if (ctor && normalize) def = defsByKey.get(key.replace(/`<constructor>`\(\)\.$/, '')) ?? def;
      if (!out.some((c) => c.def === def)) out.push({ def, ctor });
    }
    return out;
  };
  const callerOf = (site: CallSite, mode: EdgeMode): Def | undefined => site.enclosing.find(mode.caller);
  const callerIdOf = (site: CallSite, mode: EdgeMode): string | undefined => {
    const caller = callerOf(site, mode);
    return caller ? caller.match?.id : moduleByPath.get(site.path)?.id;
  };
  const edgesFor = (mode: EdgeMode, normalize: boolean): Map<string, ScipEdge> => {
    const edges = new Map<string, ScipEdge>();
    for (const site of sites) {
      const callees = calleesAt(site, mode, normalize);
      for (const { def, ctor } of callees) {
        const caller = callerOf(site, mode);
        const callerId = callerIdOf(site, mode);
        const calleeId = def.match?.id;
        const key = `${callerId ?? `scip:${caller?.key}`}->${calleeId ?? `scip:${def.key}`}`;
        if (!edges.has(key))
          edges.set(key, {
            key,
            callerId,
            calleeId,
            site,
            caller,
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
  const score = (
    edges: Map<string, ScipEdge>,
    keep: (e: ScipEdge) => boolean = () => true,
    cogoKeep: (r: CogoRelation) => boolean = () => true,
  ): EdgeScore => {
    const all = [...edges.values()].filter(keep);
    const denominator = all.filter((e) => e.calleeId !== undefined);
    const recalled = denominator.filter((e) => cogoKeys.has(e.key)).length;
    const cogo = cogoCalls.filter(cogoKeep);
    const confirmed = cogo.filter((r) => edges.has(`${r.src_id}->${r.dst_id}`)).length;
    return {
      scipEdges: all.length,
      scipEdgesCalleeInCogo: denominator.length,
      recalled,
      recall: ratio(recalled, denominator.length),
      recallAll: ratio(recalled, all.length),
      cogoEdges: cogo.length,
      confirmed,
      precision: ratio(confirmed, cogo.length),
    };
  };
  const raw = edgesFor(FULL, false);
  const normalized = edgesFor(FULL, true);
  const legacy = edgesFor(LEGACY, false);
  const defByMatchId = new Map<string, Def>();
  for (const d of defsByKey.values())
    if (d.match && !defByMatchId.has(d.match.id)) defByMatchId.set(d.match.id, d);
  const valueBound = score(
    raw,
    (e) => VALUE_BOUND_KINDS.has(e.callee.kind),
    (r) => {
      const d = defByMatchId.get(r.dst_id);
      return d !== undefined && VALUE_BOUND_KINDS.has(d.kind);
    },
  );
  const byCalleeKind: CallResult['byCalleeKind'] = {};
  for (const e of raw.values()) {
    const k = Object.hasOwn(byCalleeKind, e.callee.kind)
      ? byCalleeKind[e.callee.kind]!
      : { scipEdges: 0, calleeInCogo: 0, recalled: 0 };
    byCalleeKind[e.callee.kind] = k;
    k.scipEdges++;
    if (e.calleeId !== undefined) k.calleeInCogo++;
    if (e.calleeId !== undefined && cogoKeys.has(e.key)) k.recalled++;
  }

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
    calleesAt(site, FULL, false).map((c) => ({
      callerId: callerIdOf(site, FULL),
      calleeId: c.def.match?.id,
    }));
  const noCallee = (site: CallSite): boolean => !site.isSuper && calleesAt(site, FULL, false).length === 0;
  const dangling = (site: CallSite): boolean => {
    const refs = [...(refsAt.get(`${site.path}:${posKey(site.nameLine, site.nameChar)}`) ?? [])];
    return refs.length > 0 && refs.every((k) => k.includes('\u0000local ') && !definedLocals.has(k));
  };
  const matchedIds = new Set([...defsByKey.values()].flatMap((d) => (d.match ? [d.match.id] : [])));
  const unconfirmedReasons: Record<string, number> = {};
  const unconfirmedExamples: string[] = [];
  for (const r of cogoCalls) {
    if (raw.has(`${r.src_id}->${r.dst_id}`)) continue;
    const here = sitesByLine.get(`${r.evidence.file}:${r.evidence.line}`) ?? [];
    const atLine = here.flatMap(siteEdges);
    let reason: string;
    const dstKind = objectById.get(r.dst_id)?.kind;
    if (!scipPaths.has(r.evidence.file)) reason = OUTSIDE_REASON;
    else if (dstKind === 'interface' || dstKind === 'type')
      reason = `callee is a cogo ${dstKind} (not callable)`;
    else if (!matchedIds.has(r.dst_id)) reason = 'callee is not a SCIP definition';
    else if (
      here.some((s) => s.isSuper) &&
      (objectById.get(r.dst_id)?.kind === 'class' || objectById.get(r.dst_id)?.name === 'constructor')
    )
      reason = SUPER_REASON;
    else if (atLine.some((e) => e.calleeId === r.dst_id))
      reason =
        objectById.get(r.src_id)?.kind !== 'module' && !matchedIds.has(r.src_id)
          ? NO_CALLER_SYMBOL_REASON
          : objectById.get(r.src_id)?.kind === 'module'
            ? 'SCIP attributes the call to a definition, cogo to the module'
            : 'SCIP attributes the call to another caller';
    else if (here.some(dangling)) reason = DANGLING_REASON;
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
    [...defsByKey.values()]
      .filter((d) => !CALLEE_KINDS.has(d.kind))
      .map((d) => `${d.path}\u0000${d.qualified}`),
  );
  const missedReasons: Record<string, number> = {};
  const missedExamples: string[] = [];
  for (const e of raw.values()) {
    if (cogoKeys.has(e.key)) continue;
    const others = e.calleeId ? (cogoByDstFile.get(`${e.site.path}:${e.calleeId}`) ?? []) : [];
    let reason: string;
    if (e.calleeId === undefined) reason = `callee (${e.callee.kind}) is not a cogo object`;
    else if (e.callerId === undefined) reason = `caller (${e.caller?.kind}) is not a cogo object`;
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
        `[${reason}] ${e.site.path}:${e.site.line} \`${e.site.text}\` SCIP ${e.caller?.qualified ?? '<module>'} -> ${e.callee.qualified}${cogoSays}`,
      );
    }
  }
  const sitesWithRepoDefs = sites.filter((s) => calleesAt(s, FULL, true).length > 0).length;
  const result: CallResult = {
    scipCallSites: sites.length,
    scipSitesToRepoDefinitions: sitesWithRepoDefs,
    cogoEdges: cogoCalls.length,
    superEdges: unconfirmedReasons[SUPER_REASON] ?? 0,
    outsideScipEdges: unconfirmedReasons[OUTSIDE_REASON] ?? 0,
    danglingSites: sites.filter(dangling).length,
    danglingEdges: unconfirmedReasons[DANGLING_REASON] ?? 0,
    noCallerSymbolEdges: unconfirmedReasons[NO_CALLER_SYMBOL_REASON] ?? 0,
    raw: score(raw),
    normalized: score(normalized),
    valueBound,
    byCalleeKind,
    legacy: score(legacy),
    unconfirmedReasons,
    unconfirmedExamples,
    missedReasons,
    missedExamples,
  };
  return { result, edges: raw };
}
