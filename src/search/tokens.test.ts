import { describe, expect, it } from 'vitest';
import { codeTokens, splitIdentifier } from './tokens.ts';

describe('identifier splitting', () => {
  it('splits camelCase, PascalCase, acronyms, snake_case, kebab-case and digits', () => {
    expect(splitIdentifier('parseHTTPResponse2')).toEqual(['parse', 'http', 'response', '2']);
    expect(splitIdentifier('XMLHttpRequest')).toEqual(['xml', 'http', 'request']);
    expect(splitIdentifier('max_file_bytes')).toEqual(['max', 'file', 'bytes']);
    expect(splitIdentifier('cbo-v3')).toEqual(['cbo', 'v', '3']);
    expect(splitIdentifier('$ref')).toEqual(['ref']);
  });

  it('keeps each identifier whole and adds its parts', () => {
    expect(codeTokens('loadConfig(env)')).toEqual(['loadconfig', 'load', 'config', 'env']);
    expect(codeTokens('a.b_c 42')).toEqual(['a', 'bc', 'b', 'c', '42']);
  });
});
