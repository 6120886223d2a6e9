import ts from 'typescript';
import {
  boundExpression,
  checkerMemo,
  type DeclGroup,
  type FileDecls,
  memberName,
  moduleObjectId,
  objectId,
  unwrapExpression,
} from './declarations.ts';
import { hasModifier } from './syntax.ts';

/**
 * Whether a value binding is a function in the graph: a callable value (call or construct
 * signatures) is a `function`, any other value a `variable`.
 */
type ValueClassifier = (
  node: ts.VariableDeclaration | ts.BindingElement | ts.ExportAssignment,
) => 'function' | 'variable';

/** Asks the checker for the binding's declared or inferred type. */
function checkerValueClassifier(checker: ts.TypeChecker): ValueClassifier {
  return (node) => {
    const at = ts.isExportAssignment(node) ? node.expression : node.name;
    // `let handler: (() => void) | undefined` is a function that may be absent.
    const type = checker.getNonNullableType(checker.getTypeAtLocation(at));
    return type.getCallSignatures().length > 0 || type.getConstructSignatures().length > 0
      ? 'function'
      : 'variable';
  };
}

/** Where a statement sits: the qualified-name prefix, the containing object, and what it exports. */
interface Scope {
  readonly prefix: string;
  readonly parentId: string;
  readonly topLevel: boolean;
  readonly parentExported: boolean;
}

/**
 * Walks a file's statements and groups its declarations into objects. Syntax decides everything
 * but one thing: whether a variable bound to something other than a function or class literal is
 * callable (a `function`) or not (a `variable`), which the classifier asks the checker.
 */
class Collector {
  readonly groups: DeclGroup[] = [];
  readonly idByNode = new Map<ts.Node, string>();
  readonly #byKey = new Map<string, DeclGroup>();
  readonly #path: string;
  readonly #sf: ts.SourceFile;
  readonly #exportedNames: ReadonlySet<string>;
  readonly #classify: ValueClassifier;

  constructor(path: string, sf: ts.SourceFile, classify: ValueClassifier) {
    this.#path = path;
    this.#sf = sf;
    this.#exportedNames = exportListNames(sf);
    this.#classify = classify;
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

  #isExported(node: ts.Node, name: string, scope: Scope): boolean {
    if (hasModifier(node, ts.SyntaxKind.ExportKeyword)) return scope.topLevel || scope.parentExported;
    return scope.topLevel && this.#exportedNames.has(name);
  }

  statements(statements: readonly ts.Statement[], scope: Scope): void {
    for (const stmt of statements) this.#statement(stmt, scope);
  }

  #statement(stmt: ts.Statement, scope: Scope): void {
    const q = (name: string) => (scope.prefix ? `${scope.prefix}.${name}` : name);
    if (ts.isFunctionDeclaration(stmt)) {
      const name = stmt.name?.text ?? 'default';
      this.add('function', name, q(name), stmt, scope.parentId, this.#isExported(stmt, name, scope));
    } else if (ts.isClassDeclaration(stmt)) {
      const name = stmt.name?.text ?? 'default';
      const exported = this.#isExported(stmt, name, scope);
      const id = this.add('class', name, q(name), stmt, scope.parentId, exported);
      this.#classMembers(stmt, q(name), id, exported);
    } else if (ts.isInterfaceDeclaration(stmt)) {
      const name = stmt.name.text;
      const exported = this.#isExported(stmt, name, scope);
      const id = this.add('interface', name, q(name), stmt, scope.parentId, exported);
      for (const m of stmt.members) {
        if (ts.isMethodSignature(m) || ts.isGetAccessorDeclaration(m) || ts.isSetAccessorDeclaration(m)) {
          const mName = memberName(m.name, this.#sf);
          this.add('method', mName, `${q(name)}.${mName}`, m, id, exported);
        }
      }
    } else if (ts.isTypeAliasDeclaration(stmt)) {
      const name = stmt.name.text;
      this.add('type', name, q(name), stmt, scope.parentId, this.#isExported(stmt, name, scope));
    } else if (ts.isEnumDeclaration(stmt)) {
      const name = stmt.name.text;
      const exported = this.#isExported(stmt, name, scope);
      const id = this.add('type', name, q(name), stmt, scope.parentId, exported);
      for (const m of stmt.members) {
        const mName = memberName(m.name, this.#sf);
        this.add('variable', mName, `${q(name)}.${mName}`, m, id, exported);
      }
    } else if (ts.isVariableStatement(stmt)) {
      for (const decl of stmt.declarationList.declarations) {
        const exported = (name: string) => this.#isExported(stmt, name, scope);
        if (ts.isIdentifier(decl.name)) this.#variable(decl, decl.name.text, scope, exported(decl.name.text));
        else this.#bindingPattern(decl.name, scope, exported);
      }
    } else if (ts.isModuleDeclaration(stmt)) {
      this.#namespace(stmt, scope);
    } else if (ts.isExportAssignment(stmt) && !stmt.isExportEquals && scope.topLevel) {
      this.#exportDefault(stmt, scope);
    } else if (
      ts.isExportDeclaration(stmt) &&
      stmt.exportClause &&
      ts.isNamespaceExport(stmt.exportClause) &&
      scope.topLevel
    ) {
      // `export * as X from './x'`: a namespace X whose members are the module's exports.
      const name = memberName(stmt.exportClause.name, this.#sf);
      this.add('namespace', name, q(name), stmt.exportClause, scope.parentId, true);
    }
  }

  /** One variable: a function or class when bound to one or callable, else a value. */
  #variable(decl: ts.VariableDeclaration | ts.BindingElement, name: string, scope: Scope, exported: boolean) {
    const qName = scope.prefix ? `${scope.prefix}.${name}` : name;
    const bound = ts.isVariableDeclaration(decl) ? boundExpression(decl.initializer) : undefined;
    if (bound) {
      const kind = ts.isClassExpression(bound) ? 'class' : 'function';
      const id = this.add(kind, name, qName, decl, scope.parentId, exported);
      this.idByNode.set(bound, id);
      if (ts.isClassExpression(bound)) this.#classMembers(bound, qName, id, exported);
      return;
    }
    const kind = this.#classify(decl);
    const id = this.add(kind, name, qName, decl, scope.parentId, exported);
    const init = ts.isVariableDeclaration(decl) ? unwrapExpression(decl.initializer) : undefined;
    if (kind === 'variable' && init && ts.isObjectLiteralExpression(init))
      this.#objectMethods(init, qName, id, exported);
  }

  /** `const { a, b: [c] } = x`: each bound name is a variable of its own. */
  #bindingPattern(pattern: ts.BindingPattern, scope: Scope, exported: (name: string) => boolean): void {
    for (const el of pattern.elements) {
      if (!ts.isBindingElement(el)) continue;
      if (ts.isIdentifier(el.name)) this.#variable(el, el.name.text, scope, exported(el.name.text));
      else this.#bindingPattern(el.name, scope, exported);
    }
  }

  /** Methods of an object literal bound to a variable: `{ m() {}, n: () => 1, get x() {} }`. */
  #objectMethods(obj: ts.ObjectLiteralExpression, qName: string, ownerId: string, exported: boolean): void {
    for (const p of obj.properties) {
      if (!p.name || ts.isComputedPropertyName(p.name)) continue;
      const name = memberName(p.name, this.#sf);
      if (ts.isMethodDeclaration(p) || ts.isGetAccessorDeclaration(p) || ts.isSetAccessorDeclaration(p)) {
        this.add('method', name, `${qName}.${name}`, p, ownerId, exported);
      } else if (ts.isPropertyAssignment(p)) {
        const fn = boundExpression(p.initializer);
        if (!fn || ts.isClassExpression(fn)) continue;
        const id = this.add('method', name, `${qName}.${name}`, p, ownerId, exported);
        this.idByNode.set(fn, id);
      }
    }
  }

  /** `export default <expression>` (not a bare name, which only exports another declaration). */
  #exportDefault(stmt: ts.ExportAssignment, scope: Scope): void {
    const e = unwrapExpression(stmt.expression);
    if (!e || ts.isIdentifier(e)) return;
    const bound = boundExpression(stmt.expression);
    if (bound && ts.isClassExpression(bound)) {
      const id = this.add('class', 'default', 'default', stmt, scope.parentId, true);
      this.idByNode.set(bound, id);
      this.#classMembers(bound, 'default', id, true);
      return;
    }
    const kind = bound ? 'function' : this.#classify(stmt);
    const id = this.add(kind, 'default', 'default', stmt, scope.parentId, true);
    if (bound) this.idByNode.set(bound, id);
    else if (kind === 'variable' && ts.isObjectLiteralExpression(e))
      this.#objectMethods(e, 'default', id, true);
  }

  #namespace(decl: ts.ModuleDeclaration, scope: Scope): void {
    const own = ts.isStringLiteral(decl.name) ? JSON.stringify(decl.name.text) : decl.name.text;
    const name = scope.prefix ? `${scope.prefix}.${own}` : own;
    const exported = this.#isExported(decl, own, scope) || hasModifier(decl, ts.SyntaxKind.DeclareKeyword);
    // `namespace A.B {}` and `namespace A {}` are objects; `declare module "x"` and `declare global`
    // only prefix the names of what they declare.
    const isNamespace = ts.isIdentifier(decl.name) && !(decl.flags & ts.NodeFlags.GlobalAugmentation);
    const parentId = isNamespace
      ? this.add('namespace', own, name, decl, scope.parentId, exported)
      : scope.parentId;
    const inner: Scope = { prefix: name, parentId, topLevel: false, parentExported: exported };
    const body = decl.body;
    if (!body) return;
    if (ts.isModuleDeclaration(body)) this.#namespace(body, inner);
    else if (ts.isModuleBlock(body)) this.statements(body.statements, inner);
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
      } else if (ts.isPropertyDeclaration(m) && !ts.isComputedPropertyName(m.name)) {
        // `handle = () => {...}`: a method people call as one; it stays a field of the class too.
        const fn = boundExpression(m.initializer);
        if (!fn || ts.isClassExpression(fn)) continue;
        const name = memberName(m.name, this.#sf);
        const id = this.add('method', name, `${qName}.${name}`, m, classId, visible);
        this.idByNode.set(fn, id);
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

// Per checker, because whether a value is callable is the checker's answer.
const memo = checkerMemo<ts.SourceFile, FileDecls>();

/**
 * The CBO declarations of a source file; cached per checker and SourceFile, so cross-file lookups
 * are cheap.
 */
export function collectDeclarations(sf: ts.SourceFile, path: string, checker: ts.TypeChecker): FileDecls {
  return memo(checker, sf, () => {
    const moduleId = moduleObjectId(path);
    const c = new Collector(path, sf, checkerValueClassifier(checker));
    c.statements(sf.statements, { prefix: '', parentId: moduleId, topLevel: true, parentExported: false });
    const kindById = new Map(c.groups.map((g) => [g.id, g.kind]));
    return { moduleId, groups: c.groups, idByNode: c.idByNode, kindById };
  });
}
