/**
 * What the page inlines, read at report time: uPlot's minified build and stylesheet from node_modules
 * (the pinned version in package.json), and this folder's client.js and style.css. Inlined, not linked,
 * so report.html opens from disk or a CI artifact with no network and no neighbouring files.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { inlineSource } from './escape.ts';

export interface Assets {
  uplotJs: string;
  uplotCss: string;
  clientJs: string;
  css: string;
  uplotVersion: string;
}

let cached: Promise<Assets> | undefined;

export function loadAssets(): Promise<Assets> {
  cached ??= read().catch((err: unknown) => {
    cached = undefined; // a failed read (node_modules being reinstalled) should not stick for the process
    throw err;
  });
  return cached;
}

async function read(): Promise<Assets> {
  const require = createRequire(import.meta.url);
  const pkgFile = require.resolve('uplot/package.json');
  const dist = path.join(path.dirname(pkgFile), 'dist');
  const here = (name: string) => new URL(name, import.meta.url);
  const [pkg, uplotJs, uplotCss, clientJs, css] = await Promise.all([
    readFile(pkgFile, 'utf8'),
    readFile(path.join(dist, 'uPlot.iife.min.js'), 'utf8'),
    readFile(path.join(dist, 'uPlot.min.css'), 'utf8'),
    readFile(here('./client.js'), 'utf8'),
    readFile(here('./style.css'), 'utf8'),
  ]);
  return {
    uplotJs: inlineSource(uplotJs, 'uPlot.iife.min.js', 'script'),
    uplotCss: inlineSource(uplotCss, 'uPlot.min.css', 'style'),
    clientJs: inlineSource(clientJs, 'client.js', 'script'),
    css: inlineSource(css, 'style.css', 'style'),
    uplotVersion: String((JSON.parse(pkg) as { version?: unknown }).version),
  };
}
