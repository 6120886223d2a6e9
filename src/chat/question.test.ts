import { describe, expect, it } from 'vitest';
import { classifyQuestion } from './question.ts';

describe('classifyQuestion', () => {
  it.each([
    ['Where is `loadConfig` defined?', 'definition', 'loadConfig'],
    ['where is Circle.scale declared', 'definition', 'Circle.scale'],
    ['Which file holds openDb?', 'definition', 'openDb'],
    ['Find the definition of stableId', 'definition', 'stableId'],
    ['Who calls loadConfig?', 'callers', 'loadConfig'],
    ['Where is searchCode() called from?', 'callers', 'searchCode'],
    ['list the callers of Router.select', 'callers', 'Router.select'],
    ['Is openDb used anywhere?', 'callers', 'openDb'],
    ['What does indexRepository call?', 'callees', 'indexRepository'],
    ['Which functions are invoked by `migrate`?', 'callees', 'migrate'],
    ['What type does openDb return?', 'returns', 'openDb'],
    ['What is the return type of `searchCode`?', 'returns', 'searchCode'],
    ['loadConfig returns what?', 'returns', 'loadConfig'],
    ['Which classes implement Db?', 'implementations', 'Db'],
    ['What extends Base?', 'implementations', 'Base'],
    ['Are there subclasses of CogoError?', 'implementations', 'CogoError'],
    ['What does module src/kg/queries.ts export?', 'exports', 'src/kg/queries.ts'],
    ['What does the file src/chat/question export?', 'exports', 'src/chat/question'],
    ['What is exported from the tokens module?', 'exports', 'tokens'],
    ['What uses type CboObject?', 'type_uses', 'CboObject'],
    ['Which functions accept a SearchOptions?', 'type_uses', 'SearchOptions'],
    ['What would a change to stableId affect?', 'impact', 'stableId'],
    ['What breaks if I change `migrate`?', 'impact', 'migrate'],
    ['What depends on sha256Hex?', 'impact', 'sha256Hex'],
    ['Who is using openDb?', 'callers', 'openDb'],
    ['Can you point me to stableId?', 'definition', 'stableId'],
    ['What can I import from src/kg/index.ts?', 'exports', 'src/kg/index.ts'],
  ])('%s -> %s %s', (question, intent, subject) => {
    expect(classifyQuestion(question)).toMatchObject({ intent, subject });
  });

  it('marks a generic "used" as usage, so a type subject can be read as type uses', () => {
    expect(classifyQuestion('Where is SearchHit used?')).toMatchObject({ intent: 'callers', usage: true });
    expect(classifyQuestion('Who calls run?')).toMatchObject({ intent: 'callers', usage: false });
  });

  it('keeps every code-form subject, most certain first', () => {
    const c = classifyQuestion('Who calls `loadConfig` and openDb?');
    expect(c.candidates.map((x) => [x.text, x.strength])).toEqual([
      ['loadConfig', 'code'],
      ['openDb', 'code'],
    ]);
  });

  it('does not take the name of the language or a tool for the subject unless it is in backticks', () => {
    expect(classifyQuestion('Where does the TypeScript extractor call collectDeclarations?')).toMatchObject({
      intent: 'callers',
      subject: 'collectDeclarations',
    });
    expect(classifyQuestion('Where is `TypeScript` defined?')).toMatchObject({ subject: 'TypeScript' });
  });

  it('calls how and why questions, and questions without a symbol, open', () => {
    for (const q of [
      'How does the router pick a model?',
      'Why are migrations applied under an advisory lock?',
      'How is loadConfig used to validate the environment?',
      'what happens when a provider times out',
      '',
    ])
      expect(classifyQuestion(q)).toMatchObject({ intent: 'open', subject: null });
  });
});
