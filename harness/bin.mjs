#!/usr/bin/env node
// chainsoak is written in TypeScript and run through tsx, which also loads TypeScript scenario files.
import { register } from 'tsx/esm/api';

register();
await import('./cli.ts');
