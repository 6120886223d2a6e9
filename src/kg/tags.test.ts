import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { standardTags, type TagSubject } from './tags.ts';

describe('standardTags', () => {
  it('produces the example in docs/specs/TAGS_V1.md', () => {
    const doc = readFileSync(new URL('../../docs/specs/TAGS_V1.md', import.meta.url), 'utf8');
    const block = /<!-- example: tags -->\s*```json\n([\s\S]*?)\n```/.exec(doc);
    expect(block).not.toBeNull();
    const example = JSON.parse(block![1]!) as { subject: TagSubject; tags: string[] };
    expect(standardTags(example.subject)).toEqual(example.tags);
  });

  it('tells tests, docs and external modules apart', () => {
    expect(standardTags({ language: 'ts', kind: 'function', path: 'src/a.test.ts', name: 'x' })).toContain(
      'role:test',
    );
    expect(standardTags({ language: 'ts', kind: 'function', path: 'test/helpers/db.ts' })).toContain(
      'role:test',
    );
    expect(standardTags({ language: 'md', kind: 'doc', path: 'docs/x.md', name: 'Getting started' })).toEqual(
      ['lang:md', 'kind:doc', 'role:doc', 'path:docs', 'name:getting', 'name:started'],
    );
    expect(standardTags({ language: 'ts', kind: 'module', path: null, external: true })).toEqual([
      'lang:ts',
      'kind:module',
      'role:external',
      'external',
    ]);
  });
});
