import { join, resolve } from 'node:path';
import ts from 'typescript';
import type { Db } from '../db/index.ts';
import { readIndexedFile } from './scan.ts';

/** What the compiler declares, by kind, as counted for declaration coverage. */
export const DECLARATION_KINDS = [
  'function',
  'variable',
  'class',
  'interface',
  'type',
  'enum',
  'enum_member',
  'namespace',
  'default',
] as const;
export type DeclarationKind = (typeof DECLARATION_KINDS)[number];

// The CBO kinds that may stand for each: a variable is a `function` when it is callable, a `class`
// when it is bound to a class expression.
const ACCEPTED: Record<DeclarationKind, readonly string[]> = {
  function: ['function'],
  variable: ['function', 'variable', 'class'],
  class: ['class'],
  interface: ['interface'],
  type: ['type'],
  enum: ['type'],
  enum_member: ['variable'],
  namespace: ['namespace'],
  default: ['function', 'variable', 'class'],
};

export interface DeclarationFigure {
  readonly numerator: number;
  readonly denominator: number;
  readonly percent: number | null;
}

export interface DeclarationCoverage extends DeclarationFigure {
  readonly byKind: Readonly<Record<DeclarationKind, DeclarationFigure>>;
  /** Exported declarations only. */
  readonly exported: DeclarationFigure;
  readonly files: number;
  /** Files that changed on disk since they were indexed, or are gone: not measured. */
  readonly unreadable: string[];
  /** Up to 20 declarations with no object, for a reader to look at. */
  readonly missing: Array<{
    readonly path: string;
    readonly line: number;
    readonly kind: DeclarationKind;
    readonly name: string;
  }>;
}

/** One declaration the compiler's binder sees at the top of a file, or exported from a namespace. */
interface Declared {
  readonly qualifiedName: string;
  readonly kind: DeclarationKind;
  readonly line: number;
  readonly exported: boolean;
}

function kindOf(decl: ts.Declaration): DeclarationKind | undefined {
  if (ts.isFunctionDeclaration(decl)) return 'function';
  if (ts.isClassDeclaration(decl)) return decl.name ? 'class' : 'default';
  if (ts.isInterfaceDeclaration(decl)) return 'interface';
  if (ts.isTypeAliasDeclaration(decl)) return 'type';
  if (ts.isEnumDeclaration(decl)) return 'enum';
  if (ts.isEnumMember(decl)) return 'enum_member';
  if (ts.isModuleDeclaration(decl))
    return ts.isIdentifier(decl.name) && !(decl.flags & ts.NodeFlags.GlobalAugmentation)
      ? 'namespace'
      : undefined;
  if (ts.isNamespaceExport(decl)) return 'namespace';
  if (ts.isVariableDeclaration(decl) || ts.isBindingElement(decl)) return 'variable';
  if (ts.isExportAssignment(decl))
    return decl.isExportEquals || ts.isIdentifier(decl.expression) ? undefined : 'default';
  return undefined;
}

function percent(num: number, den: number): number | null {
  return den === 0 ? null : Math.floor((num / den) * 10_000) / 100;
}

/**
 * The declarations of one bound source file as the compiler sees them: the file's own top-level
 * symbols and its exports (from the checker's symbol tables, not from cogo's extractor), and, inside
 * namespaces and enums, their exported members.
 */
function declaredIn(sf: ts.SourceFile, checker: ts.TypeChecker): Declared[] {
  // Merged declarations and overloads are one object: the first declaration (in source order) counts.
  const byKey = new Map<string, Declared>();
  const seen = new Set<ts.Declaration>();
  const exportedSymbols = new Set<ts.Symbol>();
  const moduleSymbol = checker.getSymbolAtLocation(sf);
  if (moduleSymbol) for (const s of checker.getExportsOfModule(moduleSymbol)) exportedSymbols.add(s);
  const add = (symbol: ts.Symbol, prefix: string, exported: boolean, depth: number) => {
    for (const decl of symbol.declarations ?? []) {
      if (decl.getSourceFile() !== sf || seen.has(decl)) continue;
      const kind = kindOf(decl);
      if (!kind) continue;
      seen.add(decl);
      const declName = ts.getNameOfDeclaration(decl);
      const name =
        kind === 'default'
          ? 'default'
          : declName &&
              (ts.isIdentifier(declName) || ts.isStringLiteral(declName) || ts.isNumericLiteral(declName))
            ? declName.text
            : symbol.name;
      const qualifiedName = prefix ? `${prefix}.${name}` : name;
      const line = sf.getLineAndCharacterOfPosition((declName ?? decl).getStart(sf)).line + 1;
      const key = `${qualifiedName}\u0000${kind}`;
      const known = byKey.get(key);
      if (!known || line < known.line)
        byKey.set(key, { qualifiedName, kind, line, exported: exported || known?.exported === true });
      // Namespace and enum members people can name from outside.
      if ((kind === 'namespace' && ts.isModuleDeclaration(decl)) || kind === 'enum') {
        // The local symbol of an exported declaration has no members; its export symbol has them.
        const own = (declName && checker.getSymbolAtLocation(declName)) ?? symbol;
        if (depth < 8) {
          own.exports?.forEach((member) => {
            add(member, qualifiedName, exported, depth + 1);
          });
        }
      }
    }
  };
  const local = checker
    .getSymbolsInScope(sf, ts.SymbolFlags.Value | ts.SymbolFlags.Type | ts.SymbolFlags.Namespace)
    .filter((s) => s.declarations?.some((d) => d.getSourceFile() === sf && isTopLevel(d)));
  for (const s of new Set([...local, ...exportedSymbols])) add(s, '', isExported(s, exportedSymbols), 0);
  return [...byKey.values()];
}

/** A local symbol is exported when the module's export of the same declarations is. */
function isExported(symbol: ts.Symbol, exported: ReadonlySet<ts.Symbol>): boolean {
  if (exported.has(symbol)) return true;
  const decls = new Set(symbol.declarations ?? []);
  for (const e of exported) if (e.declarations?.some((d) => decls.has(d))) return true;
  return false;
}

function isTopLevel(decl: ts.Declaration): boolean {
  let n: ts.Node = decl;
  while (ts.isBindingElement(n) || ts.isObjectBindingPattern(n) || ts.isArrayBindingPattern(n)) n = n.parent;
  if (ts.isVariableDeclaration(n)) n = n.parent.parent;
  return n.parent !== undefined && ts.isSourceFile(n.parent);
}

/**
 * Declaration coverage: the share of the declarations the compiler sees in the indexed TypeScript
 * files (top-level, exported, namespace and enum members) that the graph has as an object of a
 * matching kind, in the same file, with the same qualified name and a span holding the declared
 * name's line. The files are bound afresh (`noResolve`, no lib) from disk under `root`.
 */
export async function computeDeclarationCoverage(db: Db, root: string): Promise<DeclarationCoverage> {
  const base = resolve(root);
  const { rows: files } = await db.query<{ path: string; content_hash: string }>(
    "select path, content_hash from kg_files where status = 'indexed' and language = 'ts' order by path",
  );
  const unreadable: string[] = [];
  const texts = new Map<string, { path: string; text: string }>();
  for (const f of files) {
    const text = readIndexedFile(base, f.path, f.content_hash);
    if (text === undefined) unreadable.push(f.path);
    else texts.set(join(base, f.path), { path: f.path, text });
  }
  const options: ts.CompilerOptions = { noResolve: true, noLib: true, types: [], allowJs: true };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, language) => {
    const known = texts.get(fileName);
    return known
      ? ts.createSourceFile(fileName, known.text, language, true)
      : getSourceFile(fileName, language);
  };
  const program = ts.createProgram({ rootNames: [...texts.keys()], options, host });
  const checker = program.getTypeChecker();

  const counts = Object.fromEntries(DECLARATION_KINDS.map((k) => [k, { num: 0, den: 0 }])) as Record<
    DeclarationKind,
    { num: number; den: number }
  >;
  const exported = { num: 0, den: 0 };
  const missing: DeclarationCoverage['missing'] = [];
  for (const [fileName, { path }] of texts) {
    const sf = program.getSourceFile(fileName);
    if (!sf) continue;
    const { rows: objects } = await db.query<{
      qualified_name: string;
      kind: string;
      start_line: number;
      end_line: number;
    }>('select qualified_name, kind, start_line, end_line from cbo_objects where file_path = $1', [path]);
    for (const d of declaredIn(sf, checker)) {
      const found = objects.some(
        (o) =>
          o.qualified_name === d.qualifiedName &&
          ACCEPTED[d.kind].includes(o.kind) &&
          o.start_line <= d.line &&
          d.line <= o.end_line,
      );
      counts[d.kind].den++;
      if (d.exported) exported.den++;
      if (found) {
        counts[d.kind].num++;
        if (d.exported) exported.num++;
      } else if (missing.length < 20) {
        missing.push({ path, line: d.line, kind: d.kind, name: d.qualifiedName });
      }
    }
  }
  const num = DECLARATION_KINDS.reduce((n, k) => n + counts[k].num, 0);
  const den = DECLARATION_KINDS.reduce((n, k) => n + counts[k].den, 0);
  const byKind = Object.fromEntries(
    DECLARATION_KINDS.map((k) => [
      k,
      {
        numerator: counts[k].num,
        denominator: counts[k].den,
        percent: percent(counts[k].num, counts[k].den),
      },
    ]),
  ) as Record<DeclarationKind, DeclarationFigure>;
  return {
    numerator: num,
    denominator: den,
    percent: percent(num, den),
    byKind,
    exported: {
      numerator: exported.num,
      denominator: exported.den,
      percent: percent(exported.num, exported.den),
    },
    files: texts.size,
    unreadable,
    missing,
  };
}
