import { posix } from 'node:path';
import ts from 'typescript';

// Inferred type texts can be huge (deep object types); beyond this they are cut with an ellipsis.
const MAX_TYPE_TEXT = 500;
const MAX_SIGNATURE_TEXT = 400;

export function lineOf(sf: ts.SourceFile, pos: number): number {
  return sf.getLineAndCharacterOfPosition(pos).line + 1;
}

export function collapse(text: string, max = MAX_SIGNATURE_TEXT): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

export function typeText(checker: ts.TypeChecker, type: ts.Type, at?: ts.Node): string {
  return collapse(
    portableTypeText(checker.typeToString(type, at, ts.TypeFormatFlags.NoTruncation), at),
    MAX_TYPE_TEXT,
  );
}

const IMPORT_TYPE = /import\("([^"]+)"\)/g;

/**
 * Type text the checker writes for a type not in scope names its module by absolute path
 * (`import("/home/me/repo/src/x").X`); made relative to the file (`import("./x").X`), or to the
 * package for `node_modules`, so the graph does not depend on where the repository sits.
 */
export function portableTypeText(text: string, at: ts.Node | undefined): string {
  if (at === undefined || !text.includes('import("')) return text;
  const dir = posix.dirname(at.getSourceFile().fileName);
  return text.replace(IMPORT_TYPE, (whole, path: string) => {
    if (!posix.isAbsolute(path)) return whole;
    const packaged = path.lastIndexOf('/node_modules/');
    if (packaged >= 0) return `import("${path.slice(packaged + '/node_modules/'.length)}")`;
    const rel = posix.relative(dir, path);
    return `import("${rel.startsWith('.') ? rel : `./${rel}`}")`;
  });
}

/** The node's start, after decorators and JSDoc. */
export function startAfterDecorators(node: ts.Node, sf: ts.SourceFile): number {
  const decorators = ts.canHaveDecorators(node) ? ts.getDecorators(node) : undefined;
  const last = decorators?.at(-1);
  if (!last) return node.getStart(sf);
  const rest = sf.text.slice(last.end);
  return last.end + (rest.length - rest.trimStart().length);
}

/** Source text of a declaration's header: from after its decorators up to its body or opening brace. */
export function headerText(node: ts.Node, sf: ts.SourceFile): string {
  const start = startAfterDecorators(node, sf);
  let end = node.end;
  if (ts.isFunctionLike(node) && 'body' in node && node.body) {
    end = (node.body as ts.Node).getStart(sf);
  } else if (ts.isClassLike(node) || ts.isInterfaceDeclaration(node) || ts.isEnumDeclaration(node)) {
    const brace = node.getChildren(sf).find((c) => c.kind === ts.SyntaxKind.OpenBraceToken);
    if (brace) end = brace.getStart(sf);
  }
  return collapse(sf.text.slice(start, end).replace(/[{;]\s*$/, ''));
}

export function decoratorTexts(node: ts.Node, sf: ts.SourceFile): string[] {
  const decorators = ts.canHaveDecorators(node) ? ts.getDecorators(node) : undefined;
  return (decorators ?? []).map((d) => collapse(d.expression.getText(sf), 200));
}

export function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);
}

/** The JSDoc comment attached to a node, without its delimiters and leading asterisks. */
export function jsDocText(node: ts.Node, sf: ts.SourceFile): string | null {
  const docs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
  const doc = docs.at(-1);
  if (!doc) return null;
  const raw = sf.text.slice(doc.pos, doc.end);
  const text = raw
    .replace(/^\/\*\*/, '')
    .replace(/\*\/$/, '')
    .split('\n')
    .map((l) => l.replace(/^\s*\* ?/, '').trimEnd())
    .join('\n')
    .trim();
  return text.length > 0 ? text : null;
}

export function jsDocTagNames(node: ts.Node): string[] {
  return [...new Set(ts.getJSDocTags(node).map((t) => t.tagName.text))].sort();
}

/**
 * True for a file that can change what other files see without being imported: a script (no
 * import or export, so its declarations are global), or a module with `declare global` or
 * `declare module "name"` augmentations.
 */
export function affectsGlobals(sf: ts.SourceFile): boolean {
  if (!ts.isExternalModule(sf)) return true;
  return sf.statements.some(
    (s) =>
      ts.isModuleDeclaration(s) && (s.flags & ts.NodeFlags.GlobalAugmentation || ts.isStringLiteral(s.name)),
  );
}
