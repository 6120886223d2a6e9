import type { LlmResponse } from './contract.ts';

/** An answer for the terminal: the text, then its verified citations and follow-ups. */
export function formatAnswer(
  response: LlmResponse,
  meta: { answerer?: string; rounds?: number; withoutText?: boolean } = {},
): string {
  const lines = meta.withoutText ? [] : [response.answer, ''];
  if (response.citations.length > 0) {
    lines.push('Citations (verified):');
    for (const c of response.citations) lines.push(`  ${c.path}:${c.start_line}-${c.end_line}`);
  }
  if (response.follow_ups.length > 0)
    lines.push('', 'Follow-ups:', ...response.follow_ups.map((f) => `  - ${f}`));
  const about = [
    `status ${response.status}`,
    `confidence ${response.confidence}`,
    ...(meta.answerer ? [`answerer ${meta.answerer}`] : []),
    ...(meta.rounds !== undefined ? [`revisions ${meta.rounds}`] : []),
  ];
  lines.push('', `(${about.join(', ')})`);
  return lines.join('\n');
}
