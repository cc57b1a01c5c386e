import { readFileSync } from 'node:fs';

/** package.json, one level above both src/ and dist/. */
const PACKAGE = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string; license: string };

export const VERSION: string = PACKAGE.version;
export const LICENSE: string = PACKAGE.license;
