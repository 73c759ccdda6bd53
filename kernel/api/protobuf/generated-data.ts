/**
 * Reads the committed, generated JSON data (`npm run gen:api`). Read at run
 * time rather than imported: TypeScript would otherwise infer a type for
 * megabytes of JSON on every type check.
 */
import fs from 'node:fs';
import path from 'node:path';

/**
 * Parse `<kernel/api/...>/generated/<file>`, given the directory of the calling
 * module. Compiled code (`dist/kernel/api/...`) falls back to the source tree,
 * since the TypeScript build does not copy JSON that is not imported.
 */
export function readGeneratedJson<T>(dirname: string, relative: string): T {
  const candidates = [path.join(dirname, relative)];
  const distMarker = `${path.sep}dist${path.sep}`;
  const at = dirname.lastIndexOf(distMarker);
  if (at >= 0) candidates.push(path.join(dirname.slice(0, at), dirname.slice(at + distMarker.length), relative));
  for (const file of candidates) {
    if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  }
  throw new Error(`generated API data missing: looked for ${candidates.join(' and ')} (run npm run gen:api, and ship kernel/api/**/generated with the build)`);
}
