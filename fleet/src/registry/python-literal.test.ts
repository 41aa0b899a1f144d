import { describe, expect, it } from 'vitest';
import { iniValue, parsePythonLiteral } from './python-literal.js';

// Expected values are what Python 3.11's ast.literal_eval returns (tuples and sets as lists).
describe('parsePythonLiteral', () => {
  it.each([
    ['8080', 8080],
    ['-3', -3],
    ['+5', 5],
    ['-(1)', -1],
    ['  5', 5],
    ['5  ', 5],
    ['1 # comment', 1],
    ['0', 0],
    ['00', 0],
    ['0_0', 0],
    ['1_000', 1000],
    ['0x1F', 31],
    ['0x_1f', 31],
    ['0o17', 15],
    ['0b101', 5],
    ['1e3', 1000],
    ['.5', 0.5],
    ['5.', 5],
    ['010.5', 10.5],
    ['1_0.5_5', 10.55],
    ['True', true],
    ['False', false],
    ['None', null],
    ["'x'", 'x'],
    ['"a b"', 'a b'],
    ['"a" \'b\'', 'ab'],
    ["'\\x41\\u00e9\\n'", 'Aé\n'],
    ["'\\d'", '\\d'],
    ["r'a\\'b'", "a\\'b"],
    ["u'x'", 'x'],
    ["b'x'", 'x'],
    ["'''tri'ple'''", "tri'ple"],
    ['[1, "x", None]', [1, 'x', null]],
    ['[1,]', [1]],
    ['(1)', 1],
    ['(1,)', [1]],
    ['()', []],
    ['(1, 2)', [1, 2]],
    ['{}', {}],
    ["{'k': True, 2: [3]}", { k: true, '2': [3] }],
    ["{'a':1,}", { a: 1 }],
    ['{1, 2}', [1, 2]],
  ])('%s is a literal', (text, value) => {
    expect(parsePythonLiteral(text)).toEqual({ ok: true, value });
  });

  it.each([
    [''],
    ['lisbon'],
    ['true'],
    ['yes'],
    ['010'],
    ['1__0'],
    ['1abc'],
    ['1+2'],
    ['+-1'],
    ['-True'],
    ["f'x'"],
    ["b'x' 'y'"],
    ['"unclosed'],
    ['[1, 2'],
    ['{[1]: 2}'],
    ['site=lisbon,rack=r1'],
    ['pt # note'],
    ['10.66.0.11'],
  ])('%j is not a literal', (text) => {
    expect(parsePythonLiteral(text)).toEqual({ ok: false });
  });

  // Python accepts these; kept as text here rather than turned into something JSON cannot hold.
  it.each([['1j'], ['...'], ['99999999999999999999']])('%j is kept as text', (text) => {
    expect(parsePythonLiteral(text)).toEqual({ ok: false });
  });

  it('keeps a dict key "__proto__" as data', () => {
    const value = iniValue("{'__proto__': {'polluted': 1}}") as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('leaves text that is not a literal as it is', () => {
    expect(iniValue('10.66.0.11')).toBe('10.66.0.11');
    expect(iniValue('8080')).toBe(8080);
  });
});
