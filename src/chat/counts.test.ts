import { describe, expect, it } from 'vitest';
import { OBJECT_KINDS } from '../kg/index.ts';
import { byKind, count, DECLARED_KINDS, describeTotals, listedClause, listOf, verb } from './counts.ts';
import type { EvidenceItem, EvidenceTotal } from './evidence.ts';

describe('counts in answers', () => {
  it('says one in the singular and the rest in the plural', () => {
    expect(count(1, 'caller')).toBe('1 caller');
    expect(count(0, 'caller')).toBe('0 callers');
    expect(count(154, 'caller')).toBe('154 callers');
    expect(count(2, 'class')).toBe('2 classes');
    expect(count(2, 'module it imports', 'modules it imports')).toBe('2 modules it imports');
    expect(`${count(1, 'declaration')} ${verb(1, 'use')}`).toBe('1 declaration uses');
    expect(`${count(3, 'declaration')} ${verb(3, 'use')}`).toBe('3 declarations use');
    expect(listOf(['a'])).toBe('a');
    expect(listOf(['a', 'b', 'c'])).toBe('a, b and c');
  });

  it('says how many of a list are listed, and nothing when all are', () => {
    expect(listedClause(3, 3, 1, 'cogo graph callers f')).toBe('');
    expect(listedClause(25, 154, 1, 'cogo graph callers f')).toBe(
      '; the first 25 in file order are listed (all of them: cogo graph callers f)',
    );
    expect(listedClause(25, 155, 3, null)).toBe('; the 25 nearest are listed');
    expect(listedClause(1, 2, 1, null)).toBe('; only the first in file order is listed');
    expect(listedClause(1, 2, 3, null)).toBe('; only the nearest is listed');
    expect(listedClause(0, 2, 1, 'cogo graph callers f')).toBe(
      '; none of them fit in the evidence (all of them: cogo graph callers f)',
    );
  });

  it('breaks a count down by kind, the most first, and names the kinds the graph records', () => {
    expect(
      byKind([
        { kind: 'type', n: 1 },
        { kind: 'function', n: 66 },
        { kind: 'interface', n: 2 },
        { kind: 'class', n: 0 },
      ]),
    ).toBe('66 functions, 2 interfaces, 1 type');
    expect(DECLARED_KINDS).toEqual(
      OBJECT_KINDS.filter((k) => k !== 'module' && k !== 'method').map((k) => count(2, k).slice(2)),
    );
  });

  it('gives the model each total with how many of them the evidence items show', () => {
    const item = (id: string, subjectId: string): EvidenceItem => ({
      id,
      kind: 'calls',
      objectId: `caller-${id}`,
      objectKind: 'function',
      symbol: `caller${id}`,
      signature: null,
      path: 'src/a.ts',
      startLine: 1,
      endLine: 1,
      contentHash: 'x',
      title: '',
      text: '',
      relation: {
        kind: 'calls',
        direction: 'in',
        subjectId,
        depth: 1,
        other: { kind: 'function', symbol: 'f', external: false },
      },
    });
    const totals: EvidenceTotal[] = [
      { subjectId: 'f', kinds: ['calls'], direction: 'in', depth: 1, total: 154, gathered: 60 },
      { subjectId: 'f', kinds: ['impact'], direction: 'in', depth: 3, total: 1, gathered: 1 },
      { subjectId: 'f', kinds: ['calls'], direction: 'out', depth: 1, total: 0, gathered: 0 },
    ];
    const f = { id: 'f', kind: 'function', qualified_name: 'f' } as Parameters<
      typeof describeTotals
    >[0]['entries'][number];
    expect(describeTotals({ totals, entries: [f], items: [item('E1', 'f'), item('E2', 'f')] })).toEqual([
      '- function f: 154 callers (1 hop); the evidence has 2 of them',
      '- function f: 1 dependent (3 hops); the evidence has 0 of them',
    ]);
  });
});
