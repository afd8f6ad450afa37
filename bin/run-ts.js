#!/usr/bin/env node
'use strict';
// Runs one TypeScript entry point (bench, chaos, scripts): `node bin/run-ts.js file.ts [args]`.
const path = require('node:path');
const file = process.argv[2];
if (!file) {
  console.error('usage: node bin/run-ts.js <file.ts> [args...]');
  process.exit(2);
}
process.argv.splice(2, 1);
require('tsx/cjs/api').register();
require(path.resolve(file));
