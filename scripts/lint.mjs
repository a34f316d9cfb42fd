// Lint for the rules style.md makes checkable, run per package by turbo (`lint` task):
//  1. package boundaries: no deep imports into another package (only '@kmm/<pkg>' or its
//     declared subpath exports), no relative paths that leave the package;
//  2. pure cores: src/core never reads clocks, randomness, timers or the console, never parseFloat.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const pkgDir = resolve(process.argv[2] ?? '.');
const problems = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'dist' || name === 'gen') continue;
    if (statSync(p).isDirectory()) walk(p);
    else if (p.endsWith('.ts')) check(p);
  }
}
const IMPURE = /\b(Date\.now|performance\.now|Math\.random|setTimeout|setInterval|console\.|parseFloat)\s*\(/;
function check(file) {
  const rel = relative(pkgDir, file);
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const m = line.match(/from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/);
    const spec = m && (m[1] ?? m[2]);
    if (spec) {
      if (/^@kmm\/[^/]+\/(src|dist)\//.test(spec)) problems.push(`${rel}:${i + 1}: deep import '${spec}' (use the package's exports)`);
      if (spec.startsWith('.') && !resolve(file, '..', spec).startsWith(pkgDir)) problems.push(`${rel}:${i + 1}: relative import '${spec}' leaves the package`);
    }
    if (rel.startsWith(join('src', 'core')) && IMPURE.test(line) && !line.includes('tidy-ok') && !line.trim().startsWith('*') && !line.trim().startsWith('//')) {
      problems.push(`${rel}:${i + 1}: clock/random/timer/console/parseFloat in a pure core: ${line.trim()}`);
    }
  });
}
for (const d of ['src', 'test']) {
  try {
    walk(join(pkgDir, d));
  } catch {
    /* folder absent */
  }
}
if (problems.length) {
  console.error(problems.join('\n'));
  console.error(`lint: ${problems.length} problem(s) in ${relative(process.cwd(), pkgDir) || '.'}`);
  process.exit(1);
}
console.log(`lint: ok (${relative(resolve(pkgDir, '../..'), pkgDir)})`);
