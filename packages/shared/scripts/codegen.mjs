// Generates the static protobuf code (src/gen/proto.js + proto.d.ts) from proto/.
// Nobody hand-writes message types: every actor imports them from here.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
const protoDir = join(pkg, 'proto');
const outDir = join(pkg, 'src', 'gen');
mkdirSync(outDir, { recursive: true });
const files = readdirSync(join(protoDir, 'kmm', 'v1')).filter((f) => f.endsWith('.proto')).sort()
  .map((f) => join(protoDir, 'kmm', 'v1', f));
const bin = (name) => join(pkg, 'node_modules', '.bin', name);
const js = join(outDir, 'proto.js');
// --force-number: int64 fields decode as JS numbers (our units fit 2^53), not Long objects.
execFileSync(bin('pbjs'), ['-t', 'static-module', '-w', 'es6', '--force-number', '--no-verify',
  '--no-delimited', '--no-beautify', '-p', protoDir, '-o', js, ...files], { stdio: 'inherit' });
// protobufjs is CommonJS without an exports map: Node ESM needs the explicit file name.
const src = readFileSync(js, 'utf8').replace(
  /import \* as \$protobuf from "protobufjs\/minimal";/, 'import $protobuf from "protobufjs/minimal.js";\n' +
  '// Our 64-bit fields (monotonic ns, counts, money) fit in 2^53: decode them as plain numbers,\n' +
  '// never Long objects (pbjs --force-number alone does not change the reader).\n' +
  '$protobuf.util.Long = undefined;\n$protobuf.configure();');
writeFileSync(js, src);
execFileSync(bin('pbts'), ['-o', join(outDir, 'proto.d.ts'), js], { stdio: 'inherit' });
console.log(`codegen: ${files.length} proto files -> src/gen/proto.{js,d.ts}`);
