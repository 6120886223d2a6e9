import ts from 'typescript';
import type { CboField, CboParam, CboReturns } from '../model.ts';
import {
  boundExpression,
  checkerMemo,
  initializerOf,
  isBindingPattern,
  memberName,
  unwrapExpression,
} from './declarations.ts';
import { collapse, hasModifier, portableTypeText, typeText } from './syntax.ts';

// An API bound to a value can have many call signatures (curried `dual` APIs have two, some
// builders dozens); the object keeps the first ones.
const MAX_SIGNATURES = 12;

/** A declaration that binds a value rather than declaring a function, class or type. */
export type ValueNode = ts.VariableDeclaration | ts.BindingElement | ts.ExportAssignment | ts.EnumMember;

export function isValueNode(node: ts.Node): node is ValueNode {
  return (
    ts.isVariableDeclaration(node) ||
    ts.isBindingElement(node) ||
    ts.isExportAssignment(node) ||
    ts.isEnumMember(node)
  );
}

/** The node whose type is the value's type. */
function typedNode(node: ValueNode): ts.Node {
  return ts.isExportAssignment(node) ? node.expression : node.name;
}

function declaredType(node: ValueNode): ts.TypeNode | undefined {
  return ts.isVariableDeclaration(node) ? node.type : undefined;
}

// The signature and the metadata both want a value's type; printing a large inferred type is costly.
const typeMemo = checkerMemo<ts.Node, CboReturns>();

/** The value's type: its annotation when it has one (`inferred: false`), else the checker's. */
export function valueType(node: ValueNode, checker: ts.TypeChecker, sf: ts.SourceFile): CboReturns {
  return typeMemo(checker, node, () => {
    const annotation = declaredType(node);
    return annotation
      ? { type: collapse(annotation.getText(sf), 500), inferred: false }
      : { type: typeText(checker, checker.getTypeAtLocation(typedNode(node)), node), inferred: true };
  });
}

/** The call signatures of a callable value (construct signatures when it has no call signature). */
export function callSignatures(node: ValueNode, checker: ts.TypeChecker): readonly ts.Signature[] {
  const type = checker.getNonNullableType(checker.getTypeAtLocation(typedNode(node)));
  const calls = type.getCallSignatures();
  return calls.length > 0 ? calls : type.getConstructSignatures();
}

/** `const`, `let`, `var` of a variable or binding element; undefined for other values. */
function bindingKeyword(node: ValueNode): 'const' | 'let' | 'var' | undefined {
  let list: ts.Node = node;
  while (!ts.isVariableDeclarationList(list)) {
    if (!ts.isVariableDeclaration(list) && !ts.isBindingElement(list) && !isBindingPattern(list))
      return undefined;
    list = list.parent;
  }
  return list.flags & ts.NodeFlags.Const ? 'const' : list.flags & ts.NodeFlags.Let ? 'let' : 'var';
}

/** How the value is bound, for `metadata.binding` and `metadata.value`. */
export function bindingMetadata(node: ValueNode, sf: ts.SourceFile): Record<string, unknown> {
  if (ts.isEnumMember(node)) return { binding: 'enum_member' };
  const init = unwrapExpression(initializerOf(node));
  const binding = ts.isExportAssignment(node)
    ? 'export_default'
    : ts.isBindingElement(node)
      ? `${bindingKeyword(node)}_destructured`
      : bindingKeyword(node);
  const out: Record<string, unknown> = { binding, value: valueForm(init) };
  const head = init && (ts.isCallExpression(init) || ts.isNewExpression(init)) ? init.expression : init;
  if (head && (ts.isIdentifier(head) || ts.isPropertyAccessExpression(head)))
    out.bound_to = collapse(head.getText(sf), 200);
  return out;
}

function valueForm(init: ts.Expression | undefined): string {
  if (!init) return 'none';
  if (boundExpression(init)) return ts.isClassExpression(init) ? 'class' : 'function';
  if (ts.isCallExpression(init) || ts.isTaggedTemplateExpression(init)) return 'call';
  if (ts.isNewExpression(init)) return 'new';
  if (ts.isIdentifier(init) || ts.isPropertyAccessExpression(init) || ts.isElementAccessExpression(init))
    return 'reference';
  if (ts.isObjectLiteralExpression(init)) return 'object';
  if (ts.isArrayLiteralExpression(init)) return 'array';
  if (ts.isLiteralExpression(init) || ts.isPrefixUnaryExpression(init) || ts.isTemplateExpression(init))
    return 'literal';
  return 'expression';
}

/**
 * One-line header of a value: `export const name: Type`, `Enum.Member = 1`, `export default <type>`.
 * `typeText` stands in for the value's type (a callable value's signatures, already printed).
 */
export function valueSignature(
  node: ValueNode,
  checker: ts.TypeChecker,
  sf: ts.SourceFile,
  typeText?: string,
): string {
  if (ts.isEnumMember(node)) return collapse(node.getText(sf));
  const type = typeText ?? valueType(node, checker, sf).type ?? 'unknown';
  if (ts.isExportAssignment(node)) return collapse(`export default ${type}`);
  let stmt: ts.Node = node;
  while (!ts.isVariableStatement(stmt) && !ts.isSourceFile(stmt)) stmt = stmt.parent;
  const exported = hasModifier(stmt, ts.SyntaxKind.ExportKeyword) ? 'export ' : '';
  const declare = hasModifier(stmt, ts.SyntaxKind.DeclareKeyword) ? 'declare ' : '';
  return collapse(`${exported}${declare}${bindingKeyword(node)} ${node.name.getText(sf)}: ${type}`);
}

/**
 * Every call signature as text (`<A, B>(f: (a: A) => B) => (self: X<A>) => X<B>`), at most 12: from
 * the source when the signature is its declaration's own (an annotation's call signature, the
 * function `dual(2, ...)` returns as it is), else as the checker prints it, which for the large
 * instantiated types of some APIs is costly and so is left to the checker's own truncation.
 */
export function signatureTexts(
  signatures: readonly ts.Signature[],
  checker: ts.TypeChecker,
  at: ts.Node,
): string[] {
  const flags = ts.TypeFormatFlags.WriteArrowStyleSignature;
  return signatures.slice(0, MAX_SIGNATURES).map((s) => {
    const decl = ownDeclaration(s, checker);
    if (decl?.type) {
      const dsf = decl.getSourceFile();
      const typeParams = decl.typeParameters
        ? `<${decl.typeParameters.map((t) => t.getText(dsf)).join(', ')}>`
        : '';
      const params = decl.parameters.map((p) => p.getText(dsf)).join(', ');
      return collapse(`${typeParams}(${params}) => ${decl.type.getText(dsf)}`);
    }
    return collapse(portableTypeText(checker.signatureToString(s, at, flags), at));
  });
}

/** Parameters of a callable value, from its first call signature. */
export function signatureParams(
  sig: ts.Signature,
  node: ValueNode,
  checker: ts.TypeChecker,
  sf: ts.SourceFile,
): CboParam[] {
  const annotation = declaredType(node);
  return sig.parameters.flatMap((p): CboParam[] => {
    const decl = p.valueDeclaration;
    const param = decl && ts.isParameter(decl) ? decl : undefined;
    if (p.name === 'this') return [];
    // The parameter's own annotation only when it is written in the value's annotation; a signature
    // inferred from a generic call is instantiated (`xs: readonly A[]` there is `readonly string[]` here).
    const written =
      param?.type &&
      annotation &&
      param.getSourceFile() === sf &&
      param.pos >= annotation.pos &&
      param.end <= annotation.end
        ? param.type.getText(sf)
        : undefined;
    return [
      {
        name: collapse(param ? memberName(param.name, param.getSourceFile()) : p.name, 200),
        type: written ? collapse(written, 500) : typeText(checker, checker.getTypeOfSymbol(p), node),
        type_inferred: written === undefined,
        optional:
          param !== undefined && (param.questionToken !== undefined || param.initializer !== undefined),
        default: param?.initializer ? collapse(param.initializer.getText(param.getSourceFile()), 200) : null,
        rest: param?.dotDotDotToken !== undefined,
      },
    ];
  });
}

/** The return type of a callable value's first call signature; declared when the value is annotated. */
export function signatureReturns(sig: ts.Signature, node: ValueNode, checker: ts.TypeChecker): CboReturns {
  const written = ownDeclaration(sig, checker)?.type;
  return {
    type: written
      ? collapse(written.getText(written.getSourceFile()), 500)
      : typeText(checker, checker.getReturnTypeOfSignature(sig), node),
    inferred: declaredType(node) === undefined,
  };
}

/** The declaration a signature is the very signature of (not an instantiation of it), if any. */
function ownDeclaration(sig: ts.Signature, checker: ts.TypeChecker): ts.SignatureDeclaration | undefined {
  const decl = sig.getDeclaration() as ts.SignatureDeclaration | undefined;
  return decl && !ts.isJSDocSignature(decl) && checker.getSignatureFromDeclaration(decl) === sig
    ? decl
    : undefined;
}

/** The properties of an object literal a value is bound to, typed by the checker. */
export function objectLiteralFields(node: ValueNode, checker: ts.TypeChecker, sf: ts.SourceFile): CboField[] {
  const init = unwrapExpression(initializerOf(node));
  if (!init || !ts.isObjectLiteralExpression(init)) return [];
  const raw = initializerOf(node);
  const readonlyAll = raw !== undefined && ts.isAsExpression(raw) && ts.isConstTypeReference(raw.type);
  const out: CboField[] = [];
  for (const p of init.properties) {
    if (!ts.isPropertyAssignment(p) && !ts.isShorthandPropertyAssignment(p)) continue;
    if (ts.isComputedPropertyName(p.name)) continue;
    out.push({
      name: collapse(memberName(p.name, sf), 200),
      type: typeText(checker, checker.getTypeAtLocation(p.name), p),
      type_inferred: true,
      optional: false,
      readonly: readonlyAll,
      static: false,
      visibility: 'public',
    });
  }
  return out;
}
