// Running ansible-inventory is tested in inventory-ansible.int.test.ts; here only how its output is read.
import { describe, expect, it } from 'vitest';
import { ansibleMessages } from './ansible-inventory.js';

describe('ansibleMessages', () => {
  it('turns the 80-column wrapped stderr of ansible-inventory into one line per message', () => {
    const stderr = `[WARNING]:  * Failed to parse /tmp/bad.yml with yaml plugin: We were
unable to read either as JSON nor YAML, these are the errors we got from each:
JSON: Expecting value: line 1 column 1 (char 0)
[WARNING]: Unable to parse /tmp/bad.yml as an inventory source
ERROR! Completely failed to parse inventory source /tmp/bad.yml
`;
    expect(ansibleMessages(stderr)).toEqual([
      '[WARNING]: * Failed to parse /tmp/bad.yml with yaml plugin: We were unable to read either as JSON nor YAML, these are the errors we got from each: JSON: Expecting value: line 1 column 1 (char 0)',
      '[WARNING]: Unable to parse /tmp/bad.yml as an inventory source',
      'ERROR! Completely failed to parse inventory source /tmp/bad.yml',
    ]);
  });

  it('keeps text without a marker, and nothing for an empty stderr', () => {
    expect(ansibleMessages('Traceback (most recent call last):\n  File "x"\n')).toEqual(['Traceback (most recent call last): File "x"']);
    expect(ansibleMessages('\n')).toEqual([]);
  });
});
