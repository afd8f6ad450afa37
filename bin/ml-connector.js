#!/usr/bin/env node
'use strict';
// The `ml-connector` command. TypeScript sources run through tsx, so there is no separate build
// step for development; `npm run build` produces dist/ for production images.
const path = require('node:path');
const fs = require('node:fs');
const compiled = path.join(__dirname, '..', 'dist', 'clients', 'cli', 'main.js');
if (process.env.NODE_ENV === 'production' && fs.existsSync(compiled)) {
  require(compiled);
} else {
  require('tsx/cjs/api').register();
  require('../clients/cli/main.ts');
}
