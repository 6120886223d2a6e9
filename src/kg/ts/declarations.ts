import ts from 'typescript';
import { stableId } from '../../core/index.ts';
import type { ObjectKind } from '../model.ts';

/** Declarations that become one CBO object: overloads, accessor pairs and merged interfaces group. */
export interface DeclGroup {
  readonly id: string;
  readonly kind: Exclude<ObjectKind, 'module'>;
  readonly name: string;
  readonly qualifiedName: string;
  /**
   * Declaration nodes in source order: for a variable, the VariableDeclaration (or BindingElement);
   * for an object-literal method, the method or property assignment; for `export * as X`, the
   * NamespaceExport; for `export default <expression>`, the ExportAssignment.
   */
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

/** An expression without the parentheses, `as`, `satisfies` and `!` around it. */
export function unwrapExpression(init: ts.Expression | undefined): ts.Expression | undefined {
  let e = init;
  while (
    e &&
    (ts.isParenthesizedExpression(e) ||
      ts.isAsExpression(e) ||
      ts.isSatisfiesExpression(e) ||
      ts.isNonNullExpression(e) ||
      ts.isTypeAssertionExpression(e))
  )
    e = e.expression;
  return e;
}

/** The function or class expression a const is bound to, looking through parentheses and `as`/`satisfies`. */
export function boundExpression(
  init: ts.Expression | undefined,
): ts.FunctionLikeDeclaration | ts.ClassExpression | undefined {
  const e = unwrapExpression(init);
  if (e && (ts.isArrowFunction(e) || ts.isFunctionExpression(e) || ts.isClassExpression(e))) return e;
  return undefined;
}

/**
 * The initializer of a node that binds a value: a variable, a binding element, a property
 * (class property or object-literal property assignment), or `export default <expression>`.
 */
export function initializerOf(node: ts.Node): ts.Expression | undefined {
  if (
    ts.isVariableDeclaration(node) ||
    ts.isBindingElement(node) ||
    ts.isPropertyDeclaration(node) ||
    ts.isPropertyAssignment(node)
  )
    return node.initializer;
  if (ts.isExportAssignment(node)) return node.expression;
  return undefined;
}

export function memberName(name: ts.PropertyName | ts.BindingName, sf: ts.SourceFile): string {
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name)) return name.text;
  if (ts.isStringLiteral(name) || ts.isNumericLiteral(name)) return name.text;
  return name.getText(sf);
}

/**
 * A memo per type checker: what a checker answers holds for its program only, while source files
 * are shared between the programs of one run (one compiler host).
 */
export function checkerMemo<K extends object, V>(): (checker: ts.TypeChecker, key: K, compute: () => V) => V {
  const memo = new WeakMap<ts.TypeChecker, WeakMap<K, V>>();
  return (checker, key, compute) => {
    let byKey = memo.get(checker);
    if (!byKey) {
      byKey = new WeakMap();
      memo.set(checker, byKey);
    }
    let value = byKey.get(key);
    if (value === undefined) {
      value = compute();
      byKey.set(key, value);
    }
    return value;
  };
}

export function isBindingPattern(node: ts.Node): node is ts.BindingPattern {
  return ts.isObjectBindingPattern(node) || ts.isArrayBindingPattern(node);
}
