// Copies the non-TypeScript files the compiled code reads at run time
// (generated schemas and protobuf descriptors) next to it in dist/.
import { cpSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const copied = [];
function walk(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'node_modules' || name === 'dist') continue;
    if (statSync(p).isDirectory()) {
      if (name === 'generated') {
        const target = join(root, 'dist', relative(root, p));
        cpSync(p, target, { recursive: true });
        copied.push(relative(root, p));
      } else walk(p);
    }
  }
}
for (const top of ['kernel', 'plugins']) if (existsSync(join(root, top))) walk(join(root, top));
console.log(`copied assets: ${copied.join(', ') || 'none'}`);
