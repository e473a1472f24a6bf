import { createPgliteTemplate, pgliteTemplateDir } from './pglite-template.js';

// Run by `npm run build`: the migrated database a first start on the embedded default copies (pglite-template.ts).
await createPgliteTemplate(pgliteTemplateDir);
console.log(`PGlite template written to ${pgliteTemplateDir}`);
