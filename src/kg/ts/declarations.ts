import ts from 'typescript';
import { stableId } from '../../core/index.ts';
import type { ObjectKind } from '../model.ts';
import { hasModifier } from './syntax.ts';

/** Declarations that become one CBO object: overloads, accessor pairs and merged interfaces group. */
export interface DeclGroup {
  readonly id: string;
  readonly kind: Exclude<ObjectKind, 'module'>;
  readonly name: string;
  readonly qualifiedName: string;
  /** Declaration nodes in source order; for a const-bound function, the VariableDeclaration. */
  readonly nodes: ts.Node[];
  /** The id of the containing object (the module, or the class/interface of a member). */
  readonly parentId: string;
  readonly exported: boolean;
}

/** The objects a source file declares, found from syntax alone (no checker). */
export interface FileDecls {
  readonly moduleId: string;
  readonly groups: readonly DeclGroup[];
  /** Declaration nodes and function/class expression nodes to the id of their object. */
  readonly idByNode: ReadonlyMap<ts.Node, string>;
  readonly kindById: ReadonlyMap<string, DeclGroup['kind']>;
}

/** Ids are stable hashes of language, repo-relative path, qualified name and kind. */
export function objectId(path: string, qualifiedName: string, kind: ObjectKind): string {
  return stableId('ts', path, qualifiedName, kind);
}

/** A module's qualified name is its repo-relative path. */
export function moduleObjectId(path: string): string {
  return objectId(path, path, 'module');
}

export function externalModuleId(specifier: string): string {
  return stableId('ts', '<external>', specifier, 'module');
}

/** The function or class expression a const is bound to, looking through parentheses and `as`/`satisfies`. */
export function boundExpression(
  init: ts.Expression | undefined,
): ts.FunctionLikeDeclaration | ts.ClassExpression | undefined {
  let e = init;
  while (e && (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e)))
    e = e.expression;
  if (e && (ts.isArrowFunction(e) || ts.isFunctionExpression(e) || ts.isClassExpression(e))) return e;
  return undefined;
}

export function memberName(name: ts.PropertyName | ts.BindingName, sf: ts.SourceFile): string {
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name)) return name.text;
  if (ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  return name.getText(sf);
}

class Collector {
  readonly groups: DeclGroup[] = [];
  readonly idByNode = new Map<ts.Node, string>();
  readonly #byKey = new Map<string, DeclGroup>();
  readonly #path: string;
  readonly #sf: ts.SourceFile;
  readonly #exportedNames: ReadonlySet<string>;

  constructor(path: string, sf: ts.SourceFile) {
    this.#path = path;
    this.#sf = sf;
    this.#exportedNames = exportListNames(sf);
  }

  add(
    kind: DeclGroup['kind'],
    name: string,
    qualifiedName: string,
    node: ts.Node,
    parentId: string,
    exported: boolean,
  ): string {
    const key = `${qualifiedName}\u0000${kind}`;
    let group = this.#byKey.get(key);
    if (!group) {
      group = {
        id: objectId(this.#path, qualifiedName, kind),
        kind,
        name,
        qualifiedName,
        nodes: [],
        parentId,
        exported,
      };
      this.#byKey.set(key, group);
      this.groups.push(group);
    }
    group.nodes.push(node);
    this.idByNode.set(node, group.id);
    return group.id;
  }

  isExported(node: ts.Node, name: string, topLevel: boolean, parentExported: boolean): boolean {
    if (hasModifier(node, ts.SyntaxKind.ExportKeyword)) return topLevel || parentExported;
    return topLevel && this.#exportedNames.has(name);
  }

  statements(
    statements: readonly ts.Statement[],
    prefix: string,
    parentId: string,
    topLevel: boolean,
    parentExported: boolean,
  ): void {
    for (const stmt of statements) this.#statement(stmt, prefix, parentId, topLevel, parentExported);
  }

  #statement(
    stmt: ts.Statement,
    prefix: string,
    parentId: string,
    topLevel: boolean,
    parentExported: boolean,
  ): void {
    const q = (name: string) => (prefix ? `${prefix}.${name}` : name);
    if (ts.isFunctionDeclaration(stmt)) {
      const name = stmt.name?.text ?? 'default';
      this.add(
        'function',
        name,
        q(name),
        stmt,
        parentId,
        this.isExported(stmt, name, topLevel, parentExported),
      );
    } else if (ts.isClassDeclaration(stmt)) {
      const name = stmt.name?.text ?? 'default';
      const id = this.add(
        'class',
        name,
        q(name),
        stmt,
        parentId,
        this.isExported(stmt, name, topLevel, parentExported),
      );
      this.#classMembers(stmt, q(name), id, this.isExported(stmt, name, topLevel, parentExported));
    } else if (ts.isInterfaceDeclaration(stmt)) {
      const name = stmt.name.text;
      const exported = this.isExported(stmt, name, topLevel, parentExported);
      const id = this.add('interface', name, q(name), stmt, parentId, exported);
      for (const m of stmt.members) {
        if (ts.isMethodSignature(m) || ts.isGetAccessorDeclaration(m) || ts.isSetAccessorDeclaration(m)) {
          const mName = memberName(m.name, this.#sf);
          this.add('method', mName, `${q(name)}.${mName}`, m, id, exported);
        }
      }
    } else if (ts.isTypeAliasDeclaration(stmt) || ts.isEnumDeclaration(stmt)) {
      const name = stmt.name.text;
      this.add('type', name, q(name), stmt, parentId, this.isExported(stmt, name, topLevel, parentExported));
    } else if (ts.isVariableStatement(stmt)) {
      for (const decl of stmt.declarationList.declarations) {
        if (!ts.isIdentifier(decl.name)) continue;
        const bound = boundExpression(decl.initializer);
        if (!bound) continue;
        const name = decl.name.text;
        const exported = this.isExported(stmt, name, topLevel, parentExported);
        const kind = ts.isClassExpression(bound) ? 'class' : 'function';
        const id = this.add(kind, name, q(name), decl, parentId, exported);
        this.idByNode.set(bound, id);
        if (ts.isClassExpression(bound)) this.#classMembers(bound, q(name), id, exported);
      }
    } else if (ts.isModuleDeclaration(stmt)) {
      this.#namespace(stmt, prefix, parentId, topLevel, parentExported);
    }
  }

  #namespace(
    decl: ts.ModuleDeclaration,
    prefix: string,
    parentId: string,
    topLevel: boolean,
    parentExported: boolean,
  ): void {
    const own = ts.isStringLiteral(decl.name) ? JSON.stringify(decl.name.text) : decl.name.text;
    const name = prefix ? `${prefix}.${own}` : own;
    const exported =
      this.isExported(decl, own, topLevel, parentExported) || hasModifier(decl, ts.SyntaxKind.DeclareKeyword);
    const body = decl.body;
    if (!body) return;
    if (ts.isModuleDeclaration(body)) this.#namespace(body, name, parentId, false, exported);
    else if (ts.isModuleBlock(body)) this.statements(body.statements, name, parentId, false, exported);
  }

  #classMembers(cls: ts.ClassLikeDeclaration, qName: string, classId: string, exported: boolean): void {
    for (const m of cls.members) {
      // A member is visible outside the module when its class is exported and it is public.
      const visible =
        exported &&
        !hasModifier(m, ts.SyntaxKind.PrivateKeyword) &&
        !hasModifier(m, ts.SyntaxKind.ProtectedKeyword) &&
        !(m.name !== undefined && ts.isPrivateIdentifier(m.name));
      if (ts.isConstructorDeclaration(m)) {
        this.add('method', 'constructor', `${qName}.constructor`, m, classId, visible);
      } else if (
        ts.isMethodDeclaration(m) ||
        ts.isGetAccessorDeclaration(m) ||
        ts.isSetAccessorDeclaration(m)
      ) {
        const name = memberName(m.name, this.#sf);
        this.add('method', name, `${qName}.${name}`, m, classId, visible);
      }
    }
  }
}

/** Local names a module exports through `export { a, b as c }` and `export default a`. */
function exportListNames(sf: ts.SourceFile): Set<string> {
  const names = new Set<string>();
  for (const stmt of sf.statements) {
    if (
      ts.isExportDeclaration(stmt) &&
      !stmt.moduleSpecifier &&
      stmt.exportClause &&
      ts.isNamedExports(stmt.exportClause)
    ) {
      for (const el of stmt.exportClause.elements) names.add((el.propertyName ?? el.name).text);
    } else if (ts.isExportAssignment(stmt) && ts.isIdentifier(stmt.expression)) {
      names.add(stmt.expression.text);
    }
  }
  return names;
}

const cache = new WeakMap<ts.SourceFile, FileDecls>();

/** The CBO declarations of a source file; cached per SourceFile, so cross-file lookups are cheap. */
export function collectDeclarations(sf: ts.SourceFile, path: string): FileDecls {
  const hit = cache.get(sf);
  if (hit) return hit;
  const moduleId = moduleObjectId(path);
  const c = new Collector(path, sf);
  c.statements(sf.statements, '', moduleId, true, false);
  const kindById = new Map(c.groups.map((g) => [g.id, g.kind]));
  const decls: FileDecls = { moduleId, groups: c.groups, idByNode: c.idByNode, kindById };
  cache.set(sf, decls);
  return decls;
}
