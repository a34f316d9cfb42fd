// Lint for the rules style.md makes checkable, run per package by turbo (`lint` task):
//  1. package boundaries: no deep imports into another package (only '@kmm/<pkg>' or its
//     declared subpath exports), no relative paths that leave the package;
//  2. pure cores: src/core never reads clocks, randomness, timers or the console, never parseFloat;
//  3. layering: a package's src imports only the @kmm packages ALLOWED for it; src/core (and the
//     CORE_ONLY files) import no node:* module except PURE_NODE, other packages only through
//     @kmm/shared or a worker's './core' or './actor' entry, and no relative path outside src/core;
//  4. actor descriptors (src/actor) are as pure as cores: no clocks, randomness, timers or
//     console (time and I/O come from the driver), no node:* module except ACTOR_NODE, and
//     nothing from src/shell but types (erased at run time).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';

const pkgDir = resolve(process.argv[2] ?? '.');
const pkgJson = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const pkgName = pkgJson.name.replace(/^@kmm\//, '');

/**
 * The allowed package imports, written once: package -> the @kmm imports its src may use.
 * 'x' allows @kmm/x and its subpaths; 'x/core' allows only that entry; '*' allows any.
 */
const ALLOWED = {
  shared: [],
  'ingest-worker': ['shared'],
  'book-worker': ['shared'],
  'strategy-worker': ['shared'],
  'exec-worker': ['shared'],
  sim: ['shared'],
  backtest: [
    'shared',
    'ingest-worker/core',
    'book-worker/core',
    'strategy-worker/core',
    'exec-worker/core',
    'ingest-worker/actor',
    'book-worker/actor',
    'strategy-worker/actor',
    'exec-worker/actor',
    // shell only (src/core is held to cores below): the run-folder writers (Journal, Tape) and
    // the gateway interface paper.ts implements.
    'exec-worker',
  ],
  // the NATS cluster library: the runtime and protocol from shared; exec (its journal schema for
  // the JetStream journal, its descriptor and live environment for the shard gateway's worker)
  cluster: ['shared', 'exec-worker'],
  app: '*',
  tests: '*',
};
/** Files outside src/core held to the core rules (they run in pure worker pools). */
const CORE_ONLY = { backtest: ['src/shell/sweep-worker.ts'] };
/** node:* modules a core may import (pure computation only). None today. */
const PURE_NODE = [];
/** node:* modules an actor descriptor may import: latency histograms only. */
const ACTOR_NODE = ['node:perf_hooks'];

function allowedImport(spec) {
  const allowed = ALLOWED[pkgName];
  if (allowed === undefined) return false;
  if (allowed === '*') return true;
  const target = spec.slice('@kmm/'.length);
  const pkg = target.split('/')[0];
  if (pkg === pkgName) return false;
  return allowed.some((a) => a === target || (!a.includes('/') && a === pkg));
}
function coreImport(spec) {
  return spec === '@kmm/shared' || /^@kmm\/[a-z-]+-worker\/(core|actor)$/.test(spec);
}
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
  const inSrc = rel.startsWith('src' + sep);
  const inCore = rel.startsWith(join('src', 'core') + sep);
  const inActor = rel.startsWith(join('src', 'actor') + sep);
  const coreRules = inCore || (CORE_ONLY[pkgName] ?? []).includes(rel.split(sep).join('/'));
  lines.forEach((line, i) => {
    const m = line.match(/from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/);
    const spec = m && (m[1] ?? m[2]);
    const comment = /^\s*(\*|\/\/|\/\*)/.test(line);
    if (spec && !comment) {
      if (/^@kmm\/[^/]+\/(src|dist)\//.test(spec)) problems.push(`${rel}:${i + 1}: deep import '${spec}' (use the package's exports)`);
      if (spec.startsWith('.') && !resolve(file, '..', spec).startsWith(pkgDir)) problems.push(`${rel}:${i + 1}: relative import '${spec}' leaves the package`);
      if (inSrc && spec.startsWith('@kmm/') && !allowedImport(spec)) {
        problems.push(`${rel}:${i + 1}: @kmm/${pkgName} may not import '${spec}' (allowed: ${JSON.stringify(ALLOWED[pkgName] ?? [])}, see ALLOWED in scripts/lint.mjs)`);
      }
      if (coreRules) {
        if (spec.startsWith('@kmm/') && !coreImport(spec)) problems.push(`${rel}:${i + 1}: a pure core imports other packages only through @kmm/shared or @kmm/<x>-worker/core, not '${spec}'`);
        if (spec.startsWith('node:') && !PURE_NODE.includes(spec)) problems.push(`${rel}:${i + 1}: a pure core imports no node:* module ('${spec}')`);
        if (inCore && spec.startsWith('.') && !resolve(file, '..', spec).startsWith(join(pkgDir, 'src', 'core'))) problems.push(`${rel}:${i + 1}: relative import '${spec}' leaves src/core`);
      }
    }
    if (spec && !comment && inActor) {
      if (spec.startsWith('node:') && !ACTOR_NODE.includes(spec)) problems.push(`${rel}:${i + 1}: an actor descriptor imports no node:* module but ${ACTOR_NODE.join(', ')} ('${spec}')`);
      if (spec.startsWith('.') && resolve(file, '..', spec).startsWith(join(pkgDir, 'src', 'shell')) && !/^\s*(import|export) type\b/.test(line)) problems.push(`${rel}:${i + 1}: an actor descriptor imports only types from src/shell ('${spec}')`);
    }
    if ((inCore || inActor) && IMPURE.test(line) && !line.includes('tidy-ok') && !line.trim().startsWith('*') && !line.trim().startsWith('//')) {
      problems.push(`${rel}:${i + 1}: clock/random/timer/console/parseFloat in a pure core: ${line.trim()}`);
    }
  });
}
// Runtime dependencies follow the same allow-list (devDependencies are for tests and benches).
for (const dep of Object.keys(pkgJson.dependencies ?? {})) {
  if (!dep.startsWith('@kmm/')) continue;
  const allowed = ALLOWED[pkgName];
  const pkg = dep.slice('@kmm/'.length);
  if (allowed !== '*' && !(allowed ?? []).some((a) => a.split('/')[0] === pkg)) problems.push(`package.json: @kmm/${pkgName} may not depend on '${dep}' (see ALLOWED in scripts/lint.mjs)`);
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
