// The README and docs/ link to each other by relative path and heading anchor: every such link must reach a file
// that exists and, for a markdown file, a heading it has (as GitHub renders anchors), so moved text cannot leave
// dead links behind.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { root } from './helpers';

const withoutCode = (md: string) => md.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, (m) => (m.includes('](') ? m : ''));
/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/ /g, '-');
const anchorsOf = (file: string) =>
  new Set([...withoutCode(fs.readFileSync(file, 'utf8')).matchAll(/^#+ (.*)$/gm)].map((m) => slug(m[1].replace(/`/g, ''))));

const pages = ['README.md', ...fs.readdirSync(path.join(root, 'docs')).flatMap((f) => (f.endsWith('.md') ? [path.join('docs', f)] : []))];

test.each(pages)('every relative link in %s reaches a file and a heading', (page) => {
  const file = path.join(root, page);
  const broken: string[] = [];
  for (const [, target] of withoutCode(fs.readFileSync(file, 'utf8')).matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/.test(target)) continue; // https:, mailto:
    const [rel, anchor] = target.split('#');
    const dest = rel ? path.resolve(path.dirname(file), rel) : file;
    if (!fs.existsSync(dest)) broken.push(`${target}: no such file`);
    else if (anchor && dest.endsWith('.md') && !anchorsOf(dest).has(anchor)) broken.push(`${target}: no such heading`);
  }
  expect(broken).toEqual([]);
});
