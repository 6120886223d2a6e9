#!/usr/bin/env node
// Runs the TypeScript sources directly: Node >= 22.18 strips types natively. `npm ci` installs
// Node 24 at node_modules/.bin/node, which npm scripts and `npx cogo` put first on PATH.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `cogo needs Node >= 22.18 (this is ${process.version}). Run it through npm (npx cogo, npm start), ` +
      'which uses the Node 24 that npm ci installs into node_modules/.bin.\n',
  );
  process.exit(1);
}
// V8's code cache for loaded modules (typescript.js alone is ~9 MB): later starts skip compiling them.
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
await import('../src/cli/main.ts');
