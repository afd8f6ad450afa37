import fs from 'node:fs';
import path from 'node:path';

/** The directory holding package.json, found by walking up: the same from sources (tsx) and from dist/. */
function findProjectRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return start;
    dir = parent;
  }
}

export const PROJECT_ROOT = findProjectRoot(__dirname);
