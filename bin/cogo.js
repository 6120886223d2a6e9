#!/usr/bin/env node
// Runs the TypeScript sources directly: Node 24 strips types natively (node_modules/.bin/node is Node 24).
import '../src/cli/main.ts';
