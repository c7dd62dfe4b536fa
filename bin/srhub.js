#!/usr/bin/env node
// The srhub command: runs the TypeScript sources through tsx, so no build step stands between install and start.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../core/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
