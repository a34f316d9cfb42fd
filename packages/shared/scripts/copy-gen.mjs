// tsc does not copy the generated .js/.d.ts; put them beside the compiled sources.
import { cpSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
mkdirSync(join(pkg, 'dist', 'gen'), { recursive: true });
for (const f of ['proto.js', 'proto.d.ts']) cpSync(join(pkg, 'src', 'gen', f), join(pkg, 'dist', 'gen', f));
