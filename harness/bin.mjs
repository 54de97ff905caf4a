#!/usr/bin/env node
// The chainsoak command. In a checkout it runs the TypeScript sources through tsx (no build step); an
// installed package runs its compiled dist/ (tsx is then loaded only to read TypeScript scenario files).
import { fromSource, implementation } from './package/implementation.js';

if (fromSource) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(implementation('cli'));
