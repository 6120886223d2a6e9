import ts from 'typescript';
import type { CboField, CboObject, CboParam, CboReturns } from '../model.ts';
import { standardTags } from '../tags.ts';
import {
  boundExpression,
  type DeclGroup,
  initializerOf,
  isBindingPattern,
  memberName,
} from './declarations.ts';
import {
  collapse,
  decoratorTexts,
  hasModifier,
  headerText,
  jsDocTagNames,
  jsDocText,
  lineOf,
  typeText,
} from './syntax.ts';
import {
  bindingMetadata,
  callSignatures,
  isValueNode,
  objectLiteralFields,
  signatureParams,
  signatureReturns,
  signatureTexts,
  valueSignature,
  valueType,
} from './values.ts';

/** The declaration whose text describes the group: an overload's implementation, a getter, else the first. */
export function primaryNode(group: DeclGroup): ts.Node {
  const withBody = group.nodes.find((n) => ts.isFunctionLike(n) && 'body' in n && n.body !== undefined);
  const getter = group.nodes.find(ts.isGetAccessorDeclaration);
  return getter ?? withBody ?? group.nodes[0]!;
}

/**
 * The function-like node of a function or method object: the declaration itself, or the function
 * literal a variable, a property or `export default` is bound to. Undefined for a function bound
 * to another value (`const map = internal.map`, `const f = curried(...)`).
 */
export function functionLike(node: ts.Node): ts.SignatureDeclaration | undefined {
  if (ts.isFunctionLike(node)) return node;
  const bound = boundExpression(initializerOf(node));
  return bound && !ts.isClassExpression(bound) ? bound : undefined;
}

/**
 * The node a span is measured on: the whole `const f = ...` statement when it declares only f (or
 * only one destructuring pattern), the `export * as X from` statement of a namespace export.
 */
function spanNode(node: ts.Node): ts.Node {
  let decl: ts.Node = node;
  while (ts.isBindingElement(decl) || isBindingPattern(decl)) decl = decl.parent;
  if (ts.isVariableDeclaration(decl)) {
    const stmt = decl.parent.parent;
    if (ts.isVariableStatement(stmt) && stmt.declarationList.declarations.length === 1) return stmt;
    return decl;
  }
  if (ts.isNamespaceExport(node)) return node.parent;
  return node;
}

function span(group: DeclGroup, sf: ts.SourceFile): { start: number; end: number } {
  // Overloads and accessor pairs span all their declarations; merged interfaces and namespaces keep the first.
  const nodes = group.kind === 'function' || group.kind === 'method' ? group.nodes : [group.nodes[0]!];
  let start = Number.POSITIVE_INFINITY;
  let end = 0;
  for (const n of nodes.map(spanNode)) {
    start = Math.min(start, lineOf(sf, n.getStart(sf)));
    end = Math.max(end, lineOf(sf, n.end));
  }
  return { start, end };
}

function signature(
  node: ts.Node,
  sf: ts.SourceFile,
  checker: ts.TypeChecker,
  valueSignatures: readonly string[],
): string {
  if (ts.isNamespaceExport(node)) return collapse(node.parent.getText(sf).replace(/;\s*$/, ''));
  if (ts.isModuleDeclaration(node)) {
    const text = sf.text.slice(node.getStart(sf), (node.body ?? node).getStart(sf));
    return collapse(text.replace(/[{.]\s*$/, ''));
  }
  const fn = functionLike(node);
  if ((ts.isPropertyAssignment(node) || ts.isPropertyDeclaration(node)) && fn) {
    const head = sf.text.slice(node.getStart(sf), node.initializer!.getStart(sf));
    return collapse(`${head}${headerText(fn, sf)}`);
  }
  if (ts.isVariableDeclaration(node) && !fn && !boundExpression(node.initializer)) {
    // A callable value without annotation shows its signatures; printing its whole type again is costly.
    const [first, ...more] = valueSignatures;
    if (!node.type && first !== undefined) {
      const others = more.length > 0 ? ` (+${more.length} more signature${more.length > 1 ? 's' : ''})` : '';
      return valueSignature(node, checker, sf, `${first}${others}`);
    }
    return valueSignature(node, checker, sf);
  }
  if (ts.isBindingElement(node) || ts.isEnumMember(node) || ts.isExportAssignment(node)) {
    return valueSignature(node, checker, sf);
  }
  if (ts.isVariableDeclaration(node)) {
    const list = node.parent;
    const keyword = list.flags & ts.NodeFlags.Const ? 'const' : list.flags & ts.NodeFlags.Let ? 'let' : 'var';
    const stmt = list.parent;
    const exported =
      ts.isVariableStatement(stmt) && hasModifier(stmt, ts.SyntaxKind.ExportKeyword) ? 'export ' : '';
    const annotation = node.type ? `: ${node.type.getText(sf)}` : '';
    const bound = boundExpression(node.initializer);
    return collapse(
      `${exported}${keyword} ${node.name.getText(sf)}${annotation} = ${bound ? headerText(bound, sf) : ''}`,
    );
  }
  if (ts.isTypeAliasDeclaration(node) || ts.isMethodSignature(node)) {
    return collapse(node.getText(sf).replace(/[;,]\s*$/, ''));
  }
  return headerText(node, sf);
}

function params(fn: ts.SignatureDeclaration, checker: ts.TypeChecker, sf: ts.SourceFile): CboParam[] {
  const out: CboParam[] = [];
  for (const p of fn.parameters) {
    const name = memberName(p.name, sf);
    if (name === 'this') continue;
    let type: string | null = null;
    let inferred = false;
    if (p.type) type = collapse(p.type.getText(sf), 500);
    else {
      type = typeText(checker, checker.getTypeAtLocation(p), p);
      inferred = true;
    }
    out.push({
      name: collapse(name, 200),
      type,
      type_inferred: inferred,
      optional: p.questionToken !== undefined || p.initializer !== undefined,
      default: p.initializer ? collapse(p.initializer.getText(sf), 200) : null,
      rest: p.dotDotDotToken !== undefined,
    });
  }
  return out;
}

function returns(fn: ts.SignatureDeclaration, checker: ts.TypeChecker, sf: ts.SourceFile): CboReturns | null {
  if (ts.isConstructorDeclaration(fn) || ts.isSetAccessorDeclaration(fn)) return null;
  if (fn.type) return { type: collapse(fn.type.getText(sf), 500), inferred: false };
  const sig = checker.getSignatureFromDeclaration(fn);
  if (!sig) return { type: null, inferred: true };
  return { type: typeText(checker, checker.getReturnTypeOfSignature(sig), fn), inferred: true };
}

function visibility(node: ts.Node): CboField['visibility'] {
  if (hasModifier(node, ts.SyntaxKind.PrivateKeyword)) return 'private';
  if (hasModifier(node, ts.SyntaxKind.ProtectedKeyword)) return 'protected';
  if ('name' in node && node.name && ts.isPrivateIdentifier(node.name as ts.Node)) return 'private';
  return 'public';
}

function field(
  node: ts.PropertyDeclaration | ts.PropertySignature | ts.ParameterDeclaration,
  checker: ts.TypeChecker,
  sf: ts.SourceFile,
): CboField {
  const declared = node.type ? collapse(node.type.getText(sf), 500) : null;
  return {
    name: collapse(memberName(node.name, sf), 200),
    type: declared ?? typeText(checker, checker.getTypeAtLocation(node), node),
    type_inferred: declared === null,
    optional: node.questionToken !== undefined,
    readonly: hasModifier(node, ts.SyntaxKind.ReadonlyKeyword),
    static: hasModifier(node, ts.SyntaxKind.StaticKeyword),
    visibility: visibility(node),
  };
}

function fields(group: DeclGroup, checker: ts.TypeChecker, sf: ts.SourceFile): CboField[] {
  const out: CboField[] = [];
  if (group.kind === 'variable') {
    const first = group.nodes[0]!;
    return isValueNode(first) ? objectLiteralFields(first, checker, sf) : [];
  }
  for (const node of group.nodes) {
    const cls = ts.isVariableDeclaration(node) ? boundExpression(node.initializer) : node;
    if (cls && ts.isClassLike(cls)) {
      for (const m of cls.members) {
        if (ts.isPropertyDeclaration(m)) out.push(field(m, checker, sf));
        if (ts.isConstructorDeclaration(m)) {
          for (const p of m.parameters)
            if (ts.isParameterPropertyDeclaration(p, m)) out.push(field(p, checker, sf));
        }
      }
    } else if (ts.isInterfaceDeclaration(node)) {
      for (const m of node.members) if (ts.isPropertySignature(m)) out.push(field(m, checker, sf));
    } else if (ts.isTypeAliasDeclaration(node) && ts.isTypeLiteralNode(node.type)) {
      for (const m of node.type.members) if (ts.isPropertySignature(m)) out.push(field(m, checker, sf));
    } else if (ts.isEnumDeclaration(node)) {
      for (const m of node.members) {
        const value = checker.getConstantValue(m);
        out.push({
          name: collapse(memberName(m.name, sf), 200),
          type: value === undefined ? null : JSON.stringify(value),
          type_inferred: m.initializer === undefined,
          optional: false,
          readonly: true,
          static: true,
          visibility: 'public',
        });
      }
    }
  }
  return out;
}

/** The statement that carries a declaration's modifiers (`export`, `declare`) when it is a variable. */
function statementOf(node: ts.Node): ts.Node {
  let n: ts.Node = node;
  while (ts.isBindingElement(n) || isBindingPattern(n)) n = n.parent;
  if (ts.isVariableDeclaration(n)) return n.parent.parent;
  if (ts.isNamespaceExport(n)) return n.parent;
  return n;
}

/** The node a JSDoc comment is attached to: the statement of a destructured name or a namespace export. */
function docCarrier(node: ts.Node): ts.Node {
  return ts.isBindingElement(node) || ts.isNamespaceExport(node) ? statementOf(node) : node;
}

/** The overload signatures of a function or method with several declarations (the implementation left out). */
function overloadSignatures(group: DeclGroup, sf: ts.SourceFile): string[] {
  if (group.kind !== 'function' && group.kind !== 'method') return [];
  const overloads = group.nodes.filter(
    (n) => ts.isFunctionLike(n) && !('body' in n && n.body !== undefined) && !ts.isPropertySignature(n),
  );
  return overloads.length > 1 || (overloads.length === 1 && group.nodes.length > 1)
    ? overloads.map((n) => headerText(n, sf))
    : [];
}

/** Builds the CBO object of one declaration group. */
export function buildObject(
  group: DeclGroup,
  path: string,
  sf: ts.SourceFile,
  checker: ts.TypeChecker,
): CboObject {
  const primary = primaryNode(group);
  const fn = group.kind === 'function' || group.kind === 'method' ? functionLike(primary) : undefined;
  // A function bound to a value (`const map = internal.map`, `curried(2, ...)`): the checker's signatures.
  const valueFn = group.kind === 'function' && !fn && isValueNode(primary) ? primary : undefined;
  const valueSigs = valueFn ? callSignatures(valueFn, checker) : [];
  const { start, end } = span(group, sf);
  const modifierNode = statementOf(primary);
  const isAsync = fn !== undefined && hasModifier(fn, ts.SyntaxKind.AsyncKeyword);
  const isAbstract = hasModifier(modifierNode, ts.SyntaxKind.AbstractKeyword);
  const isStatic = hasModifier(modifierNode, ts.SyntaxKind.StaticKeyword);
  const decorators = decoratorTexts(primary, sf);
  // Overloads usually carry their doc comment on the first signature, not on the implementation.
  const docNode =
    [primary, ...group.nodes].map(docCarrier).find((n) => jsDocText(n, sf) !== null) ?? docCarrier(primary);
  const jsdocTags = jsDocTagNames(docNode);
  const tags = standardTags({
    language: 'ts',
    kind: group.kind,
    path,
    name: group.name,
    exported: group.exported,
    async: isAsync,
    abstract: isAbstract,
    static: isStatic,
    deprecated: jsdocTags.includes('deprecated'),
  });
  const metadata: CboObject['metadata'] = {
    language: 'ts',
    exported: group.exported,
    async: isAsync,
    abstract: isAbstract,
    static: isStatic,
    decorators,
    tags,
    declarations: group.nodes.length,
    syntax_kind: ts.SyntaxKind[primary.kind],
    jsdoc_tags: jsdocTags,
  };
  if (ts.isGetAccessorDeclaration(primary) || ts.isSetAccessorDeclaration(primary)) {
    metadata.accessor =
      group.nodes.length > 1 ? 'get/set' : ts.isGetAccessorDeclaration(primary) ? 'get' : 'set';
  }
  if (ts.isEnumDeclaration(primary)) metadata.type_kind = 'enum';
  if (ts.isTypeAliasDeclaration(primary)) metadata.type_kind = 'alias';
  if (ts.isMethodSignature(primary) || ts.isInterfaceDeclaration(primary.parent))
    metadata.signature_only = true;
  if (isValueNode(primary)) Object.assign(metadata, bindingMetadata(primary, sf));
  if (group.kind === 'variable' && isValueNode(primary)) {
    const t = valueType(primary, checker, sf);
    metadata.value_type = t.type;
    metadata.value_type_inferred = t.inferred;
  }
  const signatures = valueFn ? signatureTexts(valueSigs, checker, primary) : overloadSignatures(group, sf);
  if (signatures.length > 0) metadata.signatures = signatures;
  if (valueFn && valueSigs[0] && valueSigs[0].getDeclaration()?.kind === ts.SyntaxKind.ConstructSignature)
    metadata.construct = true;
  let params_json: CboParam[] = [];
  let returns_json: CboReturns | null = null;
  if (fn) {
    params_json = params(fn, checker, sf);
    returns_json = returns(fn, checker, sf);
  } else if (valueFn) {
    const first = valueSigs[0];
    params_json = first ? signatureParams(first, valueFn, checker, sf) : [];
    returns_json = first ? signatureReturns(first, valueFn, checker) : { type: null, inferred: true };
  }
  return {
    id: group.id,
    kind: group.kind,
    name: group.name,
    qualified_name: group.qualifiedName,
    file_path: path,
    signature: signature(primary, sf, checker, valueFn ? signatures : []),
    start_line: start,
    end_line: end,
    params_json,
    returns_json,
    fields_json: fields(group, checker, sf),
    doc: jsDocText(docNode, sf),
    metadata,
  };
}
