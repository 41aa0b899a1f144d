import { describe, expect, it } from 'vitest';
import { expandHostPattern, HostPatternError } from './host-pattern.js';

describe('expandHostPattern', () => {
  it.each([
    ['web01', ['web01'], undefined],
    ['web01:2222', ['web01'], 2222],
    ['10.66.0.7:2200', ['10.66.0.7'], 2200],
    ['[10.66.0.7]:2200', ['10.66.0.7'], 2200],
    ['[fd00::1]:22', ['fd00::1'], 22],
    ['web[01:03]', ['web01', 'web02', 'web03'], undefined],
    ['web[1:3]:22', ['web1', 'web2', 'web3'], 22],
    ['web[:2]', ['web0', 'web1', 'web2'], undefined],
    ['web[8:11]', ['web8', 'web9', 'web10', 'web11'], undefined],
    ['web[08:11]', ['web08', 'web09', 'web10', 'web11'], undefined],
    ['web[01:10:4]', ['web01', 'web05', 'web09'], undefined],
    ['db-[a:c].lan', ['db-a.lan', 'db-b.lan', 'db-c.lan'], undefined],
    ['x[y:B]', ['xy', 'xz', 'xA', 'xB'], undefined],
    ['r[1:2]n[a:b]', ['r1na', 'r1nb', 'r2na', 'r2nb'], undefined],
    ['10.66.0.[1:3]', ['10.66.0.1', '10.66.0.2', '10.66.0.3'], undefined],
    // Not a host:port by Ansible's rules, so kept whole (and later refused as an id).
    ['web_:22', ['web_:22'], undefined],
  ])('%s', (pattern, hosts, port) => {
    expect(expandHostPattern(pattern)).toEqual({ hosts, port });
  });

  it.each([
    ['web[1-3]', /must be \[begin:end\]/],
    ['web[1:3', /no closing/],
    ['web[3:1]', /begin <= end/],
    ['web[c:a]', /begin <= end/],
    ['web[01:100]', /equal length/],
    ['web[1:]', /end value/],
    ['web[1:3:0]', /step '0'/],
    ['web[1:3:-1]', /step '-1'/],
    ['web[a:3]', /numeric .* or single letters/],
    ['web[0:99999][0:99999]', /too many hosts/],
    ['web:', /trailing ':'/],
    ['---', /YAML/],
  ])('rejects %s', (pattern, message) => {
    expect(() => expandHostPattern(pattern)).toThrow(HostPatternError);
    expect(() => expandHostPattern(pattern)).toThrow(message);
  });
});
