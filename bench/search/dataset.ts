/**
 * The docstring-to-code set: copies a package's `.ts` sources twice under bench/.work/search/ (as
 * shipped, and with every `/** ... *\/` doc comment blanked out), and records each documented
 * declaration's first doc sentence (the query) with its symbol (the expected answer).
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { RXJS_TSCONFIG } from '../common.ts';

export interface Query {
  /** The first sentence of the declaration's doc comment, markup removed. */
  readonly text: string;
  /** Expected answer: the declaration's qualified name as cogo spells it (`Class.method`), and its file. */
  readonly symbol: string;
  readonly file: string;
  readonly line: number;
  readonly kind: string;
  /** Whether the query names the symbol itself (`map` in "... like map ..."), a much easier case. */
  readonly mentionsName: boolean;
}

export interface Dataset {
  /** Every documented declaration found, before any filtering. */
  readonly documented: number;
  readonly droppedShort: number;
  readonly droppedDuplicate: number;
  readonly queries: Query[];
  /** Doc comments blanked in the stripped copy, and any left (should be 0). */
  readonly docCommentsRemoved: number;
  readonly docCommentsLeft: number;
  /** `.ts` files copied, and those the package's filter left out (test files). */
  readonly files: number;
  readonly excludedFiles: string[];
}

export function listFiles(dir: string, keep: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const abs = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(abs, keep));
    else if (entry.isFile() && keep(entry.name)) out.push(abs);
  }
  return out;
}

/** Test sources a package may ship beside its code: `*.test.ts`, `*.spec.ts`, `*.test-d.ts`, or under a test folder. */
export function isTestFile(relPath: string): boolean {
  const parts = relPath.split(/[\\/]/);
  const name = parts.at(-1) ?? '';
  return (
    /\.(?:test|spec|test-d)\.ts$/.test(name) ||
    parts.slice(0, -1).some((d) => d === 'tests' || d === '__tests__' || d === 'test')
  );
}

/** What to copy of a package, and the tsconfig to write beside the copy. */
export interface SourceSpec {
  /** Written as the copy's `tsconfig.json`. */
  readonly tsconfig: object;
  /** Keep a `.ts` file (path relative to `<pkg>/src`)? Every one when absent. */
  readonly keep?: (relPath: string) => boolean;
}

/** rxjs as the benchmark always copied it: every `.ts` file under `src`, with the rxjs tsconfig. */
export const RXJS_SOURCES: SourceSpec = { tsconfig: RXJS_TSCONFIG };

/** Copies `<pkg>/src/**\/*.ts` (those `spec.keep` keeps) to `root/src`, passing each file's text through `transform`. */
export function copySources(
  pkgDir: string,
  root: string,
  spec: SourceSpec,
  transform: (path: string, text: string) => string = (_p, t) => t,
): { paths: string[]; excluded: string[] } {
  rmSync(root, { recursive: true, force: true });
  const src = join(pkgDir, 'src');
  const paths: string[] = [];
  const excluded: string[] = [];
  for (const from of listFiles(src, (n) => n.endsWith('.ts'))) {
    const inSrc = relative(src, from);
    const rel = join('src', inSrc);
    if (spec.keep && !spec.keep(inSrc)) {
      excluded.push(rel);
      continue;
    }
    const dest = join(root, rel);
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, transform(rel, readFileSync(from, 'utf8')));
    paths.push(rel);
  }
  writeFileSync(join(root, 'tsconfig.json'), `${JSON.stringify(spec.tsconfig, null, 2)}\n`);
  copyFileSync(join(pkgDir, 'package.json'), join(root, 'package.json'));
  return { paths, excluded };
}

const isDocComment = (text: string) => text.startsWith('/**') && text !== '/**/';

/**
 * Blanks every `/** ... *\/` comment (characters become spaces, line breaks stay), so lines and
 * columns do not move. Found with TypeScript's scanner, which knows strings and templates.
 */
export function stripDocComments(text: string): { text: string; removed: number } {
  const scanner = ts.createScanner(ts.ScriptTarget.Latest, false, ts.LanguageVariant.Standard, text);
  const cuts: Array<[number, number]> = [];
  // Open braces inside each template substitution being scanned: a `}` at depth 0 resumes the template.
  const templates: number[] = [];
  for (let kind = scanner.scan(); kind !== ts.SyntaxKind.EndOfFileToken; kind = scanner.scan()) {
    if (kind === ts.SyntaxKind.MultiLineCommentTrivia && isDocComment(scanner.getTokenText()))
      cuts.push([scanner.getTokenStart(), scanner.getTokenEnd()]);
    else if (kind === ts.SyntaxKind.TemplateHead) templates.push(0);
    else if (kind === ts.SyntaxKind.OpenBraceToken && templates.length > 0)
      templates[templates.length - 1]! += 1;
    else if (kind === ts.SyntaxKind.CloseBraceToken && templates.length > 0) {
      if (templates.at(-1) === 0) {
        if (scanner.reScanTemplateToken(false) === ts.SyntaxKind.TemplateTail) templates.pop();
      } else templates[templates.length - 1]! -= 1;
    }
  }
  let out = text;
  for (const [start, end] of cuts.reverse())
    out = out.slice(0, start) + out.slice(start, end).replace(/[^\n]/g, ' ') + out.slice(end);
  return { text: out, removed: cuts.length };
}

/** Doc comments TypeScript attaches to declarations in a parsed file (to check the stripped copy). */
export function countDocComments(path: string, text: string): number {
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  let n = 0;
  const visit = (node: ts.Node): void => {
    n += ts.getJSDocCommentsAndTags(node).filter((d) => ts.isJSDoc(d) && d.parent === node).length;
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return n;
}

/** The description of a doc comment (the text before the first tag), markup removed. */
export function docDescription(raw: string): string {
  const body = raw
    .replace(/^\/\*\*/, '')
    .replace(/\*\/$/, '')
    .split('\n')
    .map((l) => l.replace(/^\s*\*? ?/, ''));
  const kept: string[] = [];
  for (const line of body) {
    if (/^\s*@/.test(line)) break;
    kept.push(line);
  }
  return kept.join('\n').trim();
}

function clean(text: string): string {
  return text
    .replace(/```[\s\S]*?```/g, ' ')
    .replace(/\{@link(?:code|plain)?\s+([^}|\s]+)(?:[\s|]+([^}]*))?\}/g, (_m, target, label) =>
      label?.trim() ? label.trim() : target,
    )
    .replace(/!\[[^\]]*\]\([^)]*\)/g, ' ')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const ABBREVIATION = /(?:\be\.g|\bi\.e|\betc|\bvs|\bcf)\.$/i;

/** The first sentence of the first paragraph: up to `.`, `!` or `?` followed by a space, or the end. */
export function firstSentence(description: string): string {
  const paragraph = description.split(/\n\s*\n/).find((p) => clean(p) !== '') ?? '';
  const text = clean(paragraph);
  for (const m of text.matchAll(/[.!?](?=\s|$)/g)) {
    const upTo = text.slice(0, m.index + 1);
    if (!ABBREVIATION.test(upTo)) return upTo;
  }
  return text;
}

function nameText(name: ts.PropertyName | ts.BindingName | undefined): string | undefined {
  if (!name) return undefined;
  if (ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteral(name)) return name.text;
  return undefined;
}

interface Documented {
  readonly symbol: string;
  readonly file: string;
  readonly line: number;
  readonly kind: string;
  readonly name: string;
  readonly sentence: string;
}

/** Documented declarations of one file: functions, classes, interfaces, types, enums, and class/interface members. */
export function documentedIn(path: string, text: string): Documented[] {
  const sf = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const out = new Map<string, Documented>();
  const add = (node: ts.Node, symbol: string, name: string, kind: string) => {
    const docs = ts.getJSDocCommentsAndTags(node).filter((d): d is ts.JSDoc => ts.isJSDoc(d));
    for (const d of docs) {
      const sentence = firstSentence(docDescription(text.slice(d.getStart(sf), d.end)));
      // Overloads are one symbol: the first declaration with a description speaks for it.
      if (sentence === '' || out.has(symbol)) continue;
      const line = sf.getLineAndCharacterOfPosition(node.getStart(sf, false)).line + 1;
      out.set(symbol, { symbol, file: path, line, kind, name, sentence });
    }
  };
  const visitMembers = (container: string, members: ts.NodeArray<ts.ClassElement | ts.TypeElement>) => {
    for (const m of members) {
      if (ts.isConstructorDeclaration(m)) add(m, `${container}.constructor`, 'constructor', 'method');
      else if (
        ts.isMethodDeclaration(m) ||
        ts.isMethodSignature(m) ||
        ts.isGetAccessorDeclaration(m) ||
        ts.isSetAccessorDeclaration(m)
      ) {
        const name = nameText(m.name);
        if (name) add(m, `${container}.${name}`, name, 'method');
      }
    }
  };
  for (const s of sf.statements) {
    if (ts.isFunctionDeclaration(s) && s.name) add(s, s.name.text, s.name.text, 'function');
    else if (ts.isClassDeclaration(s) && s.name) {
      add(s, s.name.text, s.name.text, 'class');
      visitMembers(s.name.text, s.members);
    } else if (ts.isInterfaceDeclaration(s)) {
      add(s, s.name.text, s.name.text, 'interface');
      visitMembers(s.name.text, s.members);
    } else if (ts.isTypeAliasDeclaration(s) || ts.isEnumDeclaration(s))
      add(s, s.name.text, s.name.text, 'type');
    else if (ts.isVariableStatement(s) && s.declarationList.declarations.length === 1) {
      // `const f = () => ...`: cogo's graph has these as functions.
      const d = s.declarationList.declarations[0]!;
      const name = nameText(d.name);
      if (
        name &&
        d.initializer &&
        (ts.isArrowFunction(d.initializer) || ts.isFunctionExpression(d.initializer))
      )
        add(s, name, name, 'function');
    }
  }
  return [...out.values()];
}

const words = (s: string) => s.split(/\s+/).filter((w) => w !== '');

/**
 * Copies the package twice (`original`, `stripped`), and builds the query set from the original.
 * Queries under 3 words go; so do queries whose text (case and spacing ignored) is shared by more
 * than one symbol, since they have no single right answer.
 */
export function buildDataset(
  pkgDir: string,
  originalRoot: string,
  strippedRoot: string,
  spec: SourceSpec = RXJS_SOURCES,
): Dataset {
  const documented: Documented[] = [];
  const copied = copySources(pkgDir, originalRoot, spec, (path, text) => {
    documented.push(...documentedIn(path, text));
    return text;
  });
  let removed = 0;
  let left = 0;
  copySources(pkgDir, strippedRoot, spec, (path, text) => {
    const s = stripDocComments(text);
    removed += s.removed;
    left += countDocComments(path, s.text);
    return s.text;
  });
  const long = documented.filter((d) => words(d.sentence).length >= 3);
  const key = (s: string) => s.toLowerCase().replace(/\s+/g, ' ');
  const count = new Map<string, number>();
  for (const d of long) count.set(key(d.sentence), (count.get(key(d.sentence)) ?? 0) + 1);
  const unique = long.filter((d) => count.get(key(d.sentence)) === 1);
  return {
    documented: documented.length,
    droppedShort: documented.length - long.length,
    droppedDuplicate: long.length - unique.length,
    queries: unique.map((d) => ({
      text: d.sentence,
      symbol: d.symbol,
      file: d.file,
      line: d.line,
      kind: d.kind,
      mentionsName: new RegExp(`\\b${d.name.replace(/[$]/g, '\\$')}\\b`, 'i').test(d.sentence),
    })),
    docCommentsRemoved: removed,
    docCommentsLeft: left,
    files: copied.paths.length,
    excludedFiles: copied.excluded,
  };
}
