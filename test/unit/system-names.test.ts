// A system is one folder: outside the connector folders (and the simulators, tests, harnesses,
// examples and docs that are about particular systems), no source file names a system. The
// registry's list (connectors/registry.ts) is inside the connector folders, so it is the only
// list of them. A new connector that leaks its name into generic code fails here.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { SYSTEMS } from '../../connectors/registry';

const ROOT = path.resolve(__dirname, '..', '..');
/** Folders about particular systems: there, naming them is the point. */
const ABOUT_SYSTEMS = ['connectors/', 'simulators/', 'test/', 'bench/', 'chaos/', 'examples/', 'docs/'];
const SOURCE = /\.(ts|js|mjs|cjs)$/;

/** A system's name as a word start: "Plex" and "PlexClient" but not "complex". */
function patternFor(words: string[]): RegExp {
  const escaped = words.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`(?<![a-z])(${escaped.join('|')})`, 'i');
}

/** The names to look for: each system's title, and its id where the id is not an ordinary word. */
const NAMES = [
  ...new Set(SYSTEMS.flatMap((s) => [s.title, ...(['exact', 'ifs'].includes(s.id) ? [] : [s.id])])),
];

function sourceFiles(): string[] {
  const listed = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  return listed
    .split('\n')
    .filter((f) => SOURCE.test(f) && !ABOUT_SYSTEMS.some((dir) => f.startsWith(dir)))
    .filter((f) => fs.existsSync(path.join(ROOT, f)));
}

describe('system names', () => {
  it('the registry lists the systems the product promises', () => {
    assert.deepEqual(SYSTEMS.map((s) => s.id).sort(), [
      'exact',
      'fedex',
      'ifs',
      'plex',
      'sagex3',
      'shipstation',
    ]);
  });

  it('the pattern finds names and leaves ordinary words alone', () => {
    const p = patternFor(['Plex', 'FedEx']);
    assert.ok(p.test('new PlexClient()'));
    assert.ok(p.test("system: 'fedex'"));
    assert.ok(!p.test('a complex multiplexed thing'));
  });

  it('no generic source file names a system', () => {
    const pattern = patternFor(NAMES);
    const files = sourceFiles();
    assert.ok(files.length > 50, `expected the generic sources, found ${files.length} files`);
    const offenders: string[] = [];
    for (const file of files) {
      const lines = fs.readFileSync(path.join(ROOT, file), 'utf8').split('\n');
      lines.forEach((line, i) => {
        if (pattern.test(line)) offenders.push(`${file}:${i + 1}: ${line.trim().slice(0, 120)}`);
      });
    }
    assert.deepEqual(offenders, [], `system names outside the connector folders:\n${offenders.join('\n')}`);
  });
});
