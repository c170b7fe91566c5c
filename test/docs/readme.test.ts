import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

const read = (name: string) => readFileSync(new URL(`../../${name}`, import.meta.url), 'utf8');

/** The commands of every shell block, without comments or alignment (those are translated). */
function commands(markdown: string): string[][] {
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) =>
    m[1]!
      .split('\n')
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      .filter((line) => line !== '' && !line.startsWith('#')),
  );
}

describe('README', () => {
  it('starts with the two commands: the demo and the tests', () => {
    const [first] = commands(read('README.md'));
    assert.deepEqual(first, ['npm install && npm run demo', 'npm install && npm test']);
    const lines = read('README.md').split('\n').filter((line) => line.trim() !== '');
    assert.equal(lines[0], '# tpot2misp');
    assert.equal(lines[1], '```sh', 'the commands come right after the title');
  });

  it('README.pt-BR.md carries the same command blocks as the English one', () => {
    assert.deepEqual(commands(read('README.pt-BR.md')), commands(read('README.md')));
  });
});
