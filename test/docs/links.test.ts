// Every relative link in the README files and docs/ points at a file that exists (docs that match the code
// start with docs that match each other).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { PROJECT_ROOT } from '../support/cli.js';

const documents = ['README.md', 'README.pt-BR.md', ...readdirSync(join(PROJECT_ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  return new Set([...markdown.matchAll(/^#+\s+(.*)$/gm)].map((m) => m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-')));
}

describe('documentation links', () => {
  it('point at files (and headings) that exist', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const document of documents) {
      const text = readFileSync(join(PROJECT_ROOT, document), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!)) continue;
        const [path, anchor] = target!.split('#');
        const file = path === '' ? join(PROJECT_ROOT, document) : join(PROJECT_ROOT, dirname(document), path!);
        checked++;
        if (!existsSync(file)) broken.push(`${document}: ${target} (no such file)`);
        else if (anchor !== undefined && file.endsWith('.md') && !anchorsOf(readFileSync(file, 'utf8')).has(anchor)) broken.push(`${document}: ${target} (no such heading)`);
      }
    }
    assert.ok(checked >= 10, `${checked} links checked`);
    assert.deepEqual(broken, []);
  });
});
