import { describe, expect, it } from 'vitest';
import { classifyQuestion } from './question.ts';

describe('classifyQuestion', () => {
  it.each([
    ['Where is `loadConfig` defined?', 'definition', 'loadConfig'],
    ['where is Circle.scale declared', 'definition', 'Circle.scale'],
    ['Who calls loadConfig?', 'callers', 'loadConfig'],
    ['Where is searchCode() called from?', 'callers', 'searchCode'],
    ['callers of Router.select', 'callers', 'Router.select'],
    ['What does indexRepository call?', 'callees', 'indexRepository'],
    ['What type does openDb return?', 'returns', 'openDb'],
    ['What is the return type of `searchCode`?', 'returns', 'searchCode'],
    ['Which classes implement Db?', 'implementations', 'Db'],
    ['What extends Base?', 'implementations', 'Base'],
    ['What does module src/kg/queries.ts export?', 'exports', 'src/kg/queries.ts'],
    ['What does the file src/chat/question export?', 'exports', 'src/chat/question'],
    ['What uses type CboObject?', 'type_uses', 'CboObject'],
    ['Where is the type SearchHit used?', 'type_uses', 'SearchHit'],
    ['What would a change to stableId affect?', 'impact', 'stableId'],
    ['What breaks if I change `migrate`?', 'impact', 'migrate'],
  ])('%s -> %s %s', (question, intent, subject) => {
    expect(classifyQuestion(question)).toEqual({ intent, subject });
  });

  it('calls everything else an open question', () => {
    for (const q of [
      'How does the router pick a model?',
      'Why are migrations applied under an advisory lock?',
      'Who calls loadConfig and openDb?',
      '',
    ])
      expect(classifyQuestion(q)).toEqual({ intent: 'open', subject: null });
  });
});
