import { dirname, resolve as resolvePath } from 'node:path';
import ts from 'typescript';
import { stableId } from '../../core/index.ts';
import type { CboObject, CboRelation, RelationKind, Resolver } from '../model.ts';
import { standardTags } from '../tags.ts';
import { collectDeclarations } from './collector.ts';
import {
  boundExpression,
  type DeclGroup,
  externalModuleId,
  type FileDecls,
  moduleObjectId,
  unwrapExpression,
} from './declarations.ts';
import { functionLike, primaryNode } from './objects.ts';
import { lineOf } from './syntax.ts';
import { callSignatures, isValueNode } from './values.ts';

/** What the extractor needs to know about the program and the repository. */
export interface ResolveContext {
  readonly program: ts.Program;
  readonly checker: ts.TypeChecker;
  /** Repo-relative path of a file that is in scope and in the graph (parses), else undefined. */
  scopedPath(fileName: string): string | undefined;
  /** Repo-relative path of a file in scope, whether or not it parses. */
  scannedPath(fileName: string): string | undefined;
  /** True for files inside the repository that are not library files (in scope or not). */
  isRepoFile(fileName: string): boolean;
}

export const CALL_OUTCOMES = [
  'resolved',
  'unresolved',
  'ambiguous',
  'external',
  'local',
  'out_of_scope',
] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];
export type CallStats = Record<CallOutcome, number>;

export interface CallSample {
  readonly outcome: 'unresolved' | 'ambiguous';
  readonly file: string;
  readonly line: number;
  readonly text: string;
}

export interface FileRelations {
  readonly relations: CboRelation[];
  readonly externalModules: CboObject[];
  readonly calls: CallStats;
  readonly callSamples: CallSample[];
  readonly unresolvedImports: string[];
}

type Target = { readonly id: string; readonly kind: string } | 'external' | 'local' | 'out_of_scope';

const MAX_SAMPLES_PER_FILE = 5;

export function emptyCallStats(): CallStats {
  return { resolved: 0, unresolved: 0, ambiguous: 0, external: 0, local: 0, out_of_scope: 0 };
}

// Aliases followed to the value they name (`{ map }`, `const m = Api.map`, `const { map } = Api`),
// at most this deep.
const MAX_ALIAS_HOPS = 4;

function resolveDeclaration(ctx: ResolveContext, decl: ts.Declaration, hops = 0): Target {
  const sf = decl.getSourceFile();
  if (ctx.program.isSourceFileDefaultLibrary(sf) || ctx.program.isSourceFileFromExternalLibrary(sf))
    return 'external';
  if (!ctx.isRepoFile(sf.fileName)) return 'external';
  const path = ctx.scopedPath(sf.fileName);
  if (path === undefined) return 'out_of_scope';
  const decls = collectDeclarations(sf, path, ctx.checker);
  const id = decls.idByNode.get(decl);
  if (id !== undefined) return { id, kind: decls.kindById.get(id)! };
  const aliased = hops < MAX_ALIAS_HOPS ? aliasTarget(ctx, decl) : undefined;
  if (aliased) {
    const t = resolveSymbol(ctx, aliased, 'value', hops + 1);
    if (typeof t === 'object') return t;
  }
  return 'local';
}

/**
 * The symbol a declaration that is no object stands for when it only names another value: an
 * object-literal property (`{ map }`, `{ map: core.map }` in `export const Api = { map }`), a local
 * alias (`const m = Api.map`) or a local destructuring (`const { map } = Api`).
 */
function aliasTarget(ctx: ResolveContext, decl: ts.Declaration): ts.Symbol | undefined {
  if (ts.isShorthandPropertyAssignment(decl)) return ctx.checker.getShorthandAssignmentValueSymbol(decl);
  const init =
    ts.isPropertyAssignment(decl) || ts.isVariableDeclaration(decl)
      ? unwrapExpression(decl.initializer)
      : undefined;
  if (init && (ts.isIdentifier(init) || ts.isPropertyAccessExpression(init))) {
    return symbolOf(ctx.checker, ts.isPropertyAccessExpression(init) ? init.name : init);
  }
  if (ts.isBindingElement(decl) && ts.isObjectBindingPattern(decl.parent)) {
    const source = decl.parent.parent;
    const from = ts.isVariableDeclaration(source) ? source.initializer : undefined;
    const key = decl.propertyName ?? decl.name;
    if (!from || !(ts.isIdentifier(key) || ts.isStringLiteral(key))) return undefined;
    return ctx.checker.getTypeAtLocation(from).getProperty(key.text);
  }
  return undefined;
}

function symbolOf(checker: ts.TypeChecker, node: ts.Node): ts.Symbol | undefined {
  const symbol = checker.getSymbolAtLocation(node);
  if (symbol && symbol.flags & ts.SymbolFlags.Alias) return checker.getAliasedSymbol(symbol);
  return symbol;
}

/** Which of a name's meanings a position asks for: a call or `new` wants a value, an annotation a type. */
type Meaning = 'value' | 'type';

function hasMeaning(decl: ts.Declaration, meaning: Meaning): boolean {
  if (meaning === 'value') return !ts.isInterfaceDeclaration(decl) && !ts.isTypeAliasDeclaration(decl);
  if (ts.isVariableDeclaration(decl)) {
    const bound = boundExpression(decl.initializer);
    return bound !== undefined && ts.isClassExpression(bound);
  }
  return (
    ts.isClassLike(decl) ||
    ts.isInterfaceDeclaration(decl) ||
    ts.isTypeAliasDeclaration(decl) ||
    ts.isEnumDeclaration(decl)
  );
}

/**
 * Resolves a symbol to the one repo object it declares in the meaning asked for, or says why it
 * cannot. `interface X` beside `const X = ...` is a type and a value: a call to X is not a call to
 * the interface. A class merged with an interface of its name resolves to the class.
 */
function resolveSymbol(
  ctx: ResolveContext,
  symbol: ts.Symbol | undefined,
  meaning: Meaning,
  hops = 0,
): Target | 'none' | 'ambiguous' {
  const decls = (symbol?.declarations ?? []).filter((d) => hasMeaning(d, meaning));
  if (decls.length === 0) return 'none';
  const ids = new Map<string, string>();
  let fallback: Target = 'local';
  for (const d of decls) {
    const t = resolveDeclaration(ctx, d, hops);
    if (typeof t === 'object') ids.set(t.id, t.kind);
    else if (t === 'external' || (t === 'out_of_scope' && fallback === 'local')) fallback = t;
  }
  const candidates = [...ids];
  const classes = candidates.filter(([, kind]) => kind === 'class');
  if (classes.length === 1 && candidates.every(([, kind]) => kind === 'class' || kind === 'interface')) {
    return { id: classes[0]![0], kind: 'class' };
  }
  const only = candidates[0];
  if (ids.size === 1 && only) return { id: only[0], kind: only[1] };
  if (ids.size > 1) return 'ambiguous';
  return fallback;
}

/**
 * The constructor a `new C(...)` or `super(...)` call runs, when the class named there declares one
 * in the repo (all its overloads are one object). An inherited constructor is not the target:
 * `new Sub()` for a `Sub` without its own constructor links to the class `Sub`. Read from the
 * class's members, not from `getResolvedSignature`, which would type-check every argument.
 */
function constructorTarget(ctx: ResolveContext, callee: ts.Node): Target | undefined {
  const named =
    callee.kind === ts.SyntaxKind.SuperKeyword ? baseClassSymbol(ctx, callee) : symbolOf(ctx.checker, callee);
  for (const d of named?.declarations ?? []) {
    const cls = ts.isVariableDeclaration(d) ? boundExpression(d.initializer) : d;
    const ctor = cls && ts.isClassLike(cls) ? cls.members.find(ts.isConstructorDeclaration) : undefined;
    if (!ctor) continue;
    const t = resolveDeclaration(ctx, ctor);
    if (typeof t === 'object') return t;
  }
  return undefined;
}

function baseClassSymbol(ctx: ResolveContext, node: ts.Node): ts.Symbol | undefined {
  let cls: ts.Node | undefined = node.parent;
  while (cls && !ts.isClassLike(cls)) cls = cls.parent;
  const clause =
    cls && ts.isClassLike(cls)
      ? cls.heritageClauses?.find((h) => h.token === ts.SyntaxKind.ExtendsKeyword)
      : undefined;
  const base = clause?.types[0];
  return base ? symbolOf(ctx.checker, base.expression) : undefined;
}

function calleeNode(call: ts.CallExpression | ts.NewExpression): ts.Node | undefined {
  let e: ts.Expression = call.expression;
  while (ts.isParenthesizedExpression(e) || ts.isNonNullExpression(e) || ts.isAsExpression(e))
    e = e.expression;
  if (ts.isPropertyAccessExpression(e)) return e.name;
  if (ts.isIdentifier(e) || e.kind === ts.SyntaxKind.SuperKeyword) return e;
  if (ts.isElementAccessExpression(e) && ts.isStringLiteralLike(e.argumentExpression))
    return e.argumentExpression;
  return undefined;
}

class RelationSink {
  readonly #byId = new Map<string, CboRelation>();
  readonly #path: string;

  constructor(path: string) {
    this.#path = path;
  }

  add(
    kind: RelationKind,
    src: string,
    dst: string,
    line: number,
    resolver: Resolver,
    confidence: number,
    metadata: Record<string, unknown> = {},
  ): CboRelation {
    const id = stableId(kind, src, dst);
    const existing = this.#byId.get(id);
    if (existing) {
      existing.metadata.occurrences = Number(existing.metadata.occurrences ?? 1) + 1;
      return existing;
    }
    const relation: CboRelation = {
      id,
      kind,
      src_id: src,
      dst_id: dst,
      resolver,
      confidence,
      evidence: { file: this.#path, line },
      metadata,
    };
    this.#byId.set(id, relation);
    return relation;
  }

  list(): CboRelation[] {
    return [...this.#byId.values()];
  }
}

function enclosingId(node: ts.Node, decls: FileDecls): string {
  for (let p: ts.Node | undefined = node.parent; p; p = p.parent) {
    const id = decls.idByNode.get(p);
    if (id !== undefined) return id;
  }
  return decls.moduleId;
}

function packageName(specifier: string): string {
  if (specifier.startsWith('node:')) return specifier;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function externalModule(name: string): CboObject {
  return {
    id: externalModuleId(name),
    kind: 'module',
    name,
    qualified_name: name,
    file_path: null,
    signature: '',
    start_line: null,
    end_line: null,
    params_json: [],
    returns_json: null,
    fields_json: [],
    doc: null,
    metadata: {
      language: 'ts',
      exported: true,
      external: true,
      tags: standardTags({ language: 'ts', kind: 'module', path: null, external: true }),
    },
  };
}

interface ImportUse {
  readonly specifier: ts.StringLiteralLike;
  readonly names: string[];
  /** The local name of a namespace import (`import * as Api from`), so `Api.map` can be looked up. */
  readonly alias?: string;
  /** `export * as X from`: the namespace object X stands for the target module. */
  readonly namespaceExport?: ts.NamespaceExport;
  readonly typeOnly: boolean;
  readonly reexport: boolean;
  readonly dynamic: boolean;
}

function importUses(sf: ts.SourceFile): ImportUse[] {
  const uses: ImportUse[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteralLike(node.moduleSpecifier)) {
      const clause = node.importClause;
      const names: string[] = [];
      if (clause?.name) names.push('default');
      const bindings = clause?.namedBindings;
      if (bindings && ts.isNamespaceImport(bindings)) names.push('*');
      if (bindings && ts.isNamedImports(bindings))
        for (const el of bindings.elements) names.push((el.propertyName ?? el.name).text);
      uses.push({
        specifier: node.moduleSpecifier,
        names,
        ...(bindings && ts.isNamespaceImport(bindings) ? { alias: bindings.name.text } : {}),
        typeOnly: clause?.isTypeOnly ?? false,
        reexport: false,
        dynamic: false,
      });
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier &&
      ts.isStringLiteralLike(node.moduleSpecifier)
    ) {
      const names: string[] = [];
      const clause = node.exportClause;
      if (!clause || ts.isNamespaceExport(clause)) names.push('*');
      else for (const el of clause.elements) names.push((el.propertyName ?? el.name).text);
      uses.push({
        specifier: node.moduleSpecifier,
        names,
        typeOnly: node.isTypeOnly,
        reexport: true,
        dynamic: false,
        ...(clause && ts.isNamespaceExport(clause) ? { namespaceExport: clause } : {}),
      });
    } else if (
      ts.isImportEqualsDeclaration(node) &&
      ts.isExternalModuleReference(node.moduleReference) &&
      ts.isStringLiteralLike(node.moduleReference.expression)
    ) {
      uses.push({
        specifier: node.moduleReference.expression,
        names: ['='],
        typeOnly: node.isTypeOnly,
        reexport: false,
        dynamic: false,
      });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg && ts.isStringLiteralLike(arg))
        uses.push({ specifier: arg, names: ['*'], typeOnly: false, reexport: false, dynamic: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return uses;
}

/**
 * The in-scope files this file's extraction can depend on: everything it imports or references,
 * followed through repo files that are out of scope (a barrel in `generated/`, say), so that a
 * change to any of them re-indexes this file.
 */
export function fileDependencies(ctx: ResolveContext, sf: ts.SourceFile): string[] {
  const deps = new Set<string>();
  const seen = new Set<ts.SourceFile>([sf]);
  const follow = (target: ts.SourceFile | undefined): void => {
    if (!target || seen.has(target)) return;
    seen.add(target);
    const path = ctx.scannedPath(target.fileName);
    if (path !== undefined) deps.add(path);
    else if (ctx.isRepoFile(target.fileName) && !ctx.program.isSourceFileFromExternalLibrary(target))
      visit(target);
  };
  const visit = (file: ts.SourceFile): void => {
    for (const use of importUses(file)) {
      follow(ctx.checker.getSymbolAtLocation(use.specifier)?.declarations?.find(ts.isSourceFile));
    }
    for (const ref of file.referencedFiles) {
      follow(ctx.program.getSourceFile(resolvePath(dirname(file.fileName), ref.fileName)));
    }
  };
  visit(sf);
  return [...deps].sort();
}

function addImports(
  ctx: ResolveContext,
  sf: ts.SourceFile,
  decls: FileDecls,
  sink: RelationSink,
  out: FileRelations,
): void {
  const externals = new Map<string, CboObject>();
  for (const use of importUses(sf)) {
    const spec = use.specifier.text;
    const line = lineOf(sf, use.specifier.getStart(sf));
    const moduleSymbol = ctx.checker.getSymbolAtLocation(use.specifier);
    const target = moduleSymbol?.declarations?.find(ts.isSourceFile);
    let dst: string | undefined;
    let resolver: Resolver = 'ts-module-resolution';
    if (target && ctx.isRepoFile(target.fileName) && !ctx.program.isSourceFileFromExternalLibrary(target)) {
      const path = ctx.scopedPath(target.fileName);
      if (path !== undefined) dst = moduleObjectId(path);
      // Counted as unresolved so that fixing the target re-indexes this file (see planRun).
      else if (ctx.scannedPath(target.fileName) !== undefined)
        out.unresolvedImports.push(`${spec} (line ${line}): target has syntax errors`);
    } else if (!spec.startsWith('.') && !spec.startsWith('/')) {
      const name = packageName(spec);
      const ext = externals.get(name) ?? externalModule(name);
      externals.set(name, ext);
      dst = ext.id;
      // Resolved to an ambient `declare module` (node:fs with @types/node) or to nothing at all.
      if (!moduleSymbol) resolver = 'ts-syntax';
    } else if (!target) {
      out.unresolvedImports.push(`${spec} (line ${line})`);
    }
    if (dst === undefined) continue;
    const rel = sink.add('imports', decls.moduleId, dst, line, resolver, 1, { specifier: spec, names: [] });
    const names = rel.metadata.names as string[];
    for (const n of use.names) if (!names.includes(n)) names.push(n);
    names.sort();
    if (use.typeOnly) rel.metadata.type_only = rel.metadata.type_only !== false;
    else rel.metadata.type_only = false;
    if (use.reexport) rel.metadata.reexport = true;
    if (use.dynamic) rel.metadata.dynamic = true;
    if (use.alias) {
      const aliases = new Set([...((rel.metadata.aliases as string[] | undefined) ?? []), use.alias]);
      rel.metadata.aliases = [...aliases].sort();
    }
    const namespaceId = use.namespaceExport && decls.idByNode.get(use.namespaceExport);
    if (namespaceId) {
      sink.add('imports', namespaceId, dst, line, resolver, 1, {
        specifier: spec,
        names: ['*'],
        type_only: use.typeOnly,
        reexport: true,
      });
    }
  }
  out.externalModules.push(...externals.values());
}

const CALLABLE_KINDS = new Set(['function', 'method', 'class']);

function addCalls(
  ctx: ResolveContext,
  sf: ts.SourceFile,
  path: string,
  decls: FileDecls,
  sink: RelationSink,
  out: FileRelations,
): void {
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) || ts.isNewExpression(node)) {
      if (node.expression.kind !== ts.SyntaxKind.ImportKeyword) {
        const callee = calleeNode(node);
        const line = lineOf(sf, node.getStart(sf));
        const isConstruction =
          ts.isNewExpression(node) || node.expression.kind === ts.SyntaxKind.SuperKeyword;
        let target =
          (isConstruction && callee ? constructorTarget(ctx, callee) : undefined) ??
          (callee ? resolveSymbol(ctx, symbolOf(ctx.checker, callee), 'value') : 'none');
        // A value the checker does not type as callable (an `any`, a namespace) is no call target.
        if (typeof target === 'object' && !CALLABLE_KINDS.has(target.kind)) target = 'none';
        if (typeof target === 'object') {
          out.calls.resolved++;
          sink.add('calls', enclosingId(node, decls), target.id, line, 'ts-checker', 1);
        } else {
          const outcome: CallOutcome = target === 'none' ? 'unresolved' : target;
          out.calls[outcome]++;
          if (
            (outcome === 'unresolved' || outcome === 'ambiguous') &&
            out.callSamples.length < MAX_SAMPLES_PER_FILE
          ) {
            out.callSamples.push({
              outcome,
              file: path,
              line,
              text: node.expression.getText(sf).slice(0, 120),
            });
          }
        }
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}

const TYPE_OBJECT_KINDS = new Set(['class', 'interface', 'type']);

/** Ids of repo types named inside a type annotation (`Foo`, `ns.Foo`, `Map<K, Foo>`, `typeof x` is skipped). */
function typeRefs(ctx: ResolveContext, typeNode: ts.Node): Array<{ id: string; node: ts.Node }> {
  const found: Array<{ id: string; node: ts.Node }> = [];
  const visit = (node: ts.Node): void => {
    let name: ts.Node | undefined;
    if (ts.isTypeReferenceNode(node))
      name = ts.isQualifiedName(node.typeName) ? node.typeName.right : node.typeName;
    else if (ts.isExpressionWithTypeArguments(node)) name = node.expression;
    if (name) {
      const t = resolveSymbol(ctx, symbolOf(ctx.checker, name), 'type');
      if (typeof t === 'object' && TYPE_OBJECT_KINDS.has(t.kind)) found.push({ id: t.id, node });
    }
    ts.forEachChild(node, visit);
  };
  visit(typeNode);
  return found;
}

/** Repo types a checker-inferred type is made of: itself, union/intersection members and type arguments. */
function inferredTypeIds(
  ctx: ResolveContext,
  type: ts.Type,
  depth = 0,
  acc = new Set<string>(),
): Set<string> {
  if (depth > 3) return acc;
  for (const symbol of [type.aliasSymbol, type.getSymbol()]) {
    const t = resolveSymbol(ctx, symbol, 'type');
    if (typeof t === 'object' && TYPE_OBJECT_KINDS.has(t.kind)) acc.add(t.id);
  }
  if (type.isUnionOrIntersection()) for (const m of type.types) inferredTypeIds(ctx, m, depth + 1, acc);
  for (const arg of type.aliasTypeArguments ?? []) inferredTypeIds(ctx, arg, depth + 1, acc);
  if (type.flags & ts.TypeFlags.Object && (type as ts.ObjectType).objectFlags & ts.ObjectFlags.Reference) {
    for (const arg of ctx.checker.getTypeArguments(type as ts.TypeReference))
      inferredTypeIds(ctx, arg, depth + 1, acc);
  }
  return acc;
}

function memberTypeNodes(node: ts.Node): ts.Node[] {
  const out: ts.Node[] = [];
  const cls = ts.isVariableDeclaration(node) ? node.initializer : node;
  if (cls && ts.isClassLike(cls)) {
    for (const m of cls.members) {
      if (ts.isPropertyDeclaration(m) && m.type) out.push(m.type);
      if (ts.isConstructorDeclaration(m))
        for (const p of m.parameters) if (ts.isParameterPropertyDeclaration(p, m) && p.type) out.push(p.type);
    }
  } else if (ts.isInterfaceDeclaration(node)) {
    for (const m of node.members) if (ts.isPropertySignature(m) && m.type) out.push(m.type);
  } else if (ts.isTypeAliasDeclaration(node)) {
    out.push(node.type);
  }
  return out;
}

function addTypeRelations(
  ctx: ResolveContext,
  sf: ts.SourceFile,
  decls: FileDecls,
  sink: RelationSink,
): void {
  for (const group of decls.groups) {
    for (const node of group.nodes) {
      const heritageOwner = ts.isVariableDeclaration(node) ? node.initializer : node;
      if (heritageOwner && (ts.isClassLike(heritageOwner) || ts.isInterfaceDeclaration(heritageOwner))) {
        for (const clause of heritageOwner.heritageClauses ?? []) {
          const kind = clause.token === ts.SyntaxKind.ImplementsKeyword ? 'implements' : 'extends';
          for (const t of clause.types) {
            const target = resolveSymbol(ctx, symbolOf(ctx.checker, t.expression), 'type');
            if (typeof target === 'object')
              sink.add(kind, group.id, target.id, lineOf(sf, t.getStart(sf)), 'ts-checker', 1);
          }
        }
      }
      for (const typeNode of memberTypeNodes(node)) {
        for (const ref of typeRefs(ctx, typeNode)) {
          if (ref.id !== group.id)
            sink.add('uses_type', group.id, ref.id, lineOf(sf, ref.node.getStart(sf)), 'ts-checker', 1);
        }
      }
    }
    if (group.kind === 'variable') addValueTypeRelations(ctx, sf, group, sink);
    if (group.kind !== 'function' && group.kind !== 'method') continue;
    const fn = functionLike(primaryNode(group));
    if (!fn) {
      addValueTypeRelations(ctx, sf, group, sink);
      continue;
    }
    for (const p of fn.parameters) {
      if (!p.type) continue;
      for (const ref of typeRefs(ctx, p.type))
        sink.add('uses_type', group.id, ref.id, lineOf(sf, ref.node.getStart(sf)), 'ts-checker', 1);
    }
    if (fn.type) {
      for (const ref of typeRefs(ctx, fn.type))
        sink.add('returns_type', group.id, ref.id, lineOf(sf, ref.node.getStart(sf)), 'ts-checker', 1);
    } else if (!ts.isConstructorDeclaration(fn) && !ts.isSetAccessorDeclaration(fn)) {
      const sig = ctx.checker.getSignatureFromDeclaration(fn);
      if (!sig) continue;
      const line = lineOf(sf, fn.getStart(sf));
      for (const id of inferredTypeIds(ctx, ctx.checker.getReturnTypeOfSignature(sig))) {
        sink.add('returns_type', group.id, id, line, 'ts-checker-inferred', 0.9, { inferred: true });
      }
    }
  }
}

/**
 * A value's types: the repo types its annotation names (`uses_type`), and for a callable value the
 * repo types its first call signature returns (`returns_type`, from the annotation's signature or
 * inferred).
 */
function addValueTypeRelations(ctx: ResolveContext, sf: ts.SourceFile, group: DeclGroup, sink: RelationSink) {
  const node = primaryNode(group);
  if (!isValueNode(node)) return;
  const annotation = ts.isVariableDeclaration(node) ? node.type : undefined;
  if (annotation) {
    for (const ref of typeRefs(ctx, annotation))
      if (ref.id !== group.id)
        sink.add('uses_type', group.id, ref.id, lineOf(sf, ref.node.getStart(sf)), 'ts-checker', 1);
  }
  if (group.kind !== 'function') return;
  const sig = callSignatures(node, ctx.checker)[0];
  if (!sig) return;
  const line = lineOf(sf, node.getStart(sf));
  for (const id of inferredTypeIds(ctx, ctx.checker.getReturnTypeOfSignature(sig))) {
    if (annotation) sink.add('returns_type', group.id, id, line, 'ts-checker', 1);
    else sink.add('returns_type', group.id, id, line, 'ts-checker-inferred', 0.9, { inferred: true });
  }
}

/** Every relation whose evidence is in this file: contains, imports, extends/implements, calls, uses_type, returns_type. */
export function extractRelations(
  ctx: ResolveContext,
  sf: ts.SourceFile,
  path: string,
  decls: FileDecls,
): FileRelations {
  const sink = new RelationSink(path);
  const out: FileRelations = {
    relations: [],
    externalModules: [],
    calls: emptyCallStats(),
    callSamples: [],
    unresolvedImports: [],
  };
  for (const group of decls.groups) {
    sink.add('contains', group.parentId, group.id, lineOf(sf, group.nodes[0]!.getStart(sf)), 'ts-syntax', 1);
  }
  addImports(ctx, sf, decls, sink, out);
  addTypeRelations(ctx, sf, decls, sink);
  addCalls(ctx, sf, path, decls, sink, out);
  out.relations.push(...sink.list());
  return out;
}
