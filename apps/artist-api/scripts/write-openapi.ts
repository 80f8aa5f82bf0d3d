// Regenerates apps/artist-api/openapi.json from the route schemas: `pnpm --filter @single/artist-api run openapi`.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { generateOpenApi, OPENAPI_FILE } from '../src/openapi/generate.ts';

await writeFile(OPENAPI_FILE, await generateOpenApi());
process.stdout.write(`wrote ${fileURLToPath(OPENAPI_FILE)}\n`);
