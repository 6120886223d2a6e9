// docs/specs/JOB_STATE_MACHINE_V1.md is kept true here: its tables of states, transitions and DLQ
// reasons list exactly what src/jobs/states.ts allows.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DLQ_REASONS, JOB_STATES, SAGA_STATES, TRANSITIONS } from '../src/jobs/index.ts';

const SPEC = readFileSync(new URL('../docs/specs/JOB_STATE_MACHINE_V1.md', import.meta.url), 'utf8');

/** The body rows of the first table after `heading`, as trimmed cells. */
function table(heading: string): string[][] {
  const start = SPEC.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no section ${heading}`);
  const lines = SPEC.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  }
  return rows;
}

const codes = (cell: string) => [...cell.matchAll(/`([a-zA-Z_]+)`/g)].map((m) => m[1]!);

describe('docs/specs/JOB_STATE_MACHINE_V1.md', () => {
  it('lists every state', () => {
    expect(table('## States').map((r) => codes(r[0]!)[0])).toEqual([...JOB_STATES]);
  });

  it('lists exactly the transitions the state machine allows', () => {
    const documented = table('## Transitions').flatMap(([from, to]) =>
      (from === '(none)' ? ['(none)'] : codes(from!)).map((f) => `${f}>${codes(to!)[0]}`),
    );
    const allowed = [
      '(none)>queued',
      ...JOB_STATES.flatMap((from) => TRANSITIONS[from].map((to) => `${from}>${to}`)),
    ];
    expect(documented.sort()).toEqual(allowed.sort());
  });

  it('lists every DLQ reason code', () => {
    expect(table('## Failures and the DLQ reason codes').map((r) => codes(r[0]!)[0])).toEqual([
      ...DLQ_REASONS,
    ]);
  });

  it('lists every saga state', () => {
    expect(table('## Sagas').map((r) => codes(r[0]!)[0])).toEqual([...SAGA_STATES]);
  });
});
