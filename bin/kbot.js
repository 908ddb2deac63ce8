#!/usr/bin/env node
// kbot is TypeScript run through tsx's loader: no build step between a checkout and a review.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../bot/cli.ts');
process.exitCode = await main(process.argv.slice(2));
