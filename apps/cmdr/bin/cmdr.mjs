#!/usr/bin/env node
// `cmdr` after `pnpm --filter @single/cmdr build`; in the workspace without a build:
//   node --conditions=source apps/cmdr/src/main.ts <command>
import '../dist/main.js';
