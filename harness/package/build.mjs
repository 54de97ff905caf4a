// `npm run build` (and `npm pack`, through prepack): harness/ compiled into a fresh dist/ (JavaScript and
// type declarations, tsconfig.build.json), plus the files the compiled code reads beside itself at run time.
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
/** Non-TypeScript files under harness/ that modules read from their own folder (report/html/assets.ts). */
const ASSETS = ['report/html/client.js', 'report/html/style.css'];

rmSync(`${root}dist`, { recursive: true, force: true }); // no compiled file of a source that was renamed or deleted
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const build = spawnSync(process.execPath, [tsc, '-p', `${root}tsconfig.build.json`], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
for (const asset of ASSETS) cpSync(`${root}harness/${asset}`, `${root}dist/${asset}`);
