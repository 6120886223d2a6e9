import { describe, expect, it } from 'vitest';
import { fileLineCoverage } from './chunk-coverage.ts';

describe('fileLineCoverage', () => {
  const text = ['import x from "x";', '', 'export const a = 1;', 'export const b = 2;', 'run();', ''].join(
    '\n',
  );

  it('counts a line only when a chunk holds its text at its place', () => {
    // A span over lines 1-5 that holds only lines 1 and 5: lines 3 and 4 stay uncovered.
    const cov = fileLineCoverage(text, [{ startLine: 1, endLine: 5, content: 'import x from "x";\nrun();' }]);
    expect(cov).toEqual({ lines: 4, covered: 2, uncovered: [3, 4] });
  });

  it('ignores lines a chunk adds (a header, a repeated signature) and leaves blank lines out', () => {
    const cov = fileLineCoverage(text, [
      { startLine: 1, endLine: 5, content: '// module a.ts exports a, b\nimport x from "x";\nrun();' },
      {
        startLine: 3,
        endLine: 4,
        content: 'export const a = 1; …\nexport const a = 1;\nexport const b = 2;',
      },
    ]);
    expect(cov).toEqual({ lines: 4, covered: 4, uncovered: [] });
  });

  it('does not count text a chunk holds outside its own span', () => {
    const cov = fileLineCoverage(text, [{ startLine: 1, endLine: 1, content: 'run();' }]);
    expect(cov.uncovered).toEqual([1, 3, 4, 5]);
  });
});

describe('fileLineCoverage with repeated lines', () => {
  it('credits an outline line to its own place, not to an equal line another chunk holds', () => {
    const text = [
      'class A {',
      '  /**',
      '   * m',
      '   */',
      '  m() {}',
      '  /**',
      '   * f',
      '   */',
      '  f = 1;',
      '}',
    ].join('\n');
    const cov = fileLineCoverage(text, [
      // The method's chunk with its doc comment, and the class outline holding the rest.
      { startLine: 2, endLine: 5, content: '  /**\n   * m\n   */\n  m() {}' },
      {
        startLine: 1,
        endLine: 10,
        content: 'class A {\n  /**\n   * m\n   */\n  m() {}\n  /**\n   * f\n   */\n  f = 1;\n}',
      },
    ]);
    expect(cov.uncovered).toEqual([]);
    const outlineOnly = fileLineCoverage(text, [
      { startLine: 2, endLine: 5, content: '  /**\n   * m\n   */\n  m() {}' },
      { startLine: 1, endLine: 10, content: 'class A {\n  /**\n   */\n  f = 1;\n}' },
    ]);
    // The outline's `/**` and `*/` belong to f's doc (lines 6 and 8); its line 7 is missing.
    expect(outlineOnly.uncovered).toEqual([7]);
  });
});
