import { fileURLToPath } from 'node:url';

/**
 * The project's root directory, where package.json and the migrations are. This module sits one level below it
 * both in src/ and in the bundle (scripts/build.mjs writes every file directly into dist/), and it resolves from
 * its own location, not the working directory.
 */
export const projectRoot = fileURLToPath(new URL('..', import.meta.url));
