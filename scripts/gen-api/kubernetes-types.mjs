/**
 * The npm package `kubernetes-types` (generated from Kubernetes' own OpenAPI)
 * read with the TypeScript compiler API: every exported interface and type
 * alias, its documentation, properties, optionality and property types, with
 * references resolved to the declaring module.
 */
import path from 'node:path';
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ts = require('typescript');

/** Module (path inside the package, no extension) to Kubernetes' definition-name prefix. */
export function definitionPrefix(module) {
  if (module === 'meta/v1') return 'io.k8s.apimachinery.pkg.apis.meta.v1';
  if (module === 'api/resource') return 'io.k8s.apimachinery.pkg.api.resource';
  if (module === 'runtime') return 'io.k8s.apimachinery.pkg.runtime';
  if (module === 'version') return 'io.k8s.apimachinery.pkg.version';
  if (module.startsWith('apiextensions/')) return `io.k8s.apiextensions-apiserver.pkg.apis.${module.replace('/', '.')}`;
  return `io.k8s.api.${module.replace('/', '.')}`;
}

/**
 * @typedef {{ kind: 'string', literal?: string } | { kind: 'number' } | { kind: 'boolean' }
 *   | { kind: 'intOrString' } | { kind: 'array', items: TsType } | { kind: 'map', values: TsType }
 *   | { kind: 'ref', name: string }} TsType
 * @typedef {{ name: string, description: string, optional: boolean, type: TsType }} TsProperty
 * @typedef {{ name: string, module: string, description: string,
 *   interface?: { properties: TsProperty[] }, alias?: TsType }} TsDeclaration
 */

/**
 * @param {string} packageDir the installed kubernetes-types directory
 * @param {string[]} modules the modules to read (`core/v1`, `apps/v1`); modules they import are read too
 * @returns {{ version: string, declarations: Map<string, TsDeclaration> }}
 */
export function readKubernetesTypes(packageDir, modules) {
  const files = listDts(packageDir);
  const program = ts.createProgram(files, { noEmit: true, skipLibCheck: true, types: [] });
  const checker = program.getTypeChecker();
  const moduleOf = (sf) => path.relative(packageDir, sf.fileName).replace(/\.d\.ts$/, '').split(path.sep).join('/');
  /** @type {Map<string, TsDeclaration>} */
  const declarations = new Map();

  const doc = (node) => {
    const symbol = node.name && checker.getSymbolAtLocation(node.name);
    return symbol ? ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim() : '';
  };

  /** The definition name a type reference points to. */
  const refName = (typeName) => {
    let symbol = checker.getSymbolAtLocation(typeName);
    if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
    const decl = symbol?.declarations?.[0];
    if (!decl) throw new Error(`kubernetes-types: cannot resolve ${typeName.getText()}`);
    return `${definitionPrefix(moduleOf(decl.getSourceFile()))}.${symbol.name}`;
  };

  /** @returns {TsType} */
  const convert = (node, where) => {
    switch (node.kind) {
      case ts.SyntaxKind.StringKeyword:
        return { kind: 'string' };
      case ts.SyntaxKind.NumberKeyword:
        return { kind: 'number' };
      case ts.SyntaxKind.BooleanKeyword:
        return { kind: 'boolean' };
      case ts.SyntaxKind.LiteralType:
        if (ts.isStringLiteral(node.literal)) return { kind: 'string', literal: node.literal.text };
        break;
      case ts.SyntaxKind.UnionType: {
        const kinds = node.types.map((t) => t.kind).sort();
        if (kinds.length === 2 && kinds.includes(ts.SyntaxKind.NumberKeyword) && kinds.includes(ts.SyntaxKind.StringKeyword)) return { kind: 'intOrString' };
        break;
      }
      case ts.SyntaxKind.TypeReference:
        if (node.typeName.getText() === 'Array' && node.typeArguments?.length === 1) return { kind: 'array', items: convert(node.typeArguments[0], where) };
        return { kind: 'ref', name: refName(node.typeName) };
      case ts.SyntaxKind.ArrayType:
        return { kind: 'array', items: convert(node.elementType, where) };
      case ts.SyntaxKind.TypeLiteral: {
        const index = node.members.length === 1 && node.members[0].kind === ts.SyntaxKind.IndexSignature ? node.members[0] : undefined;
        if (index) return { kind: 'map', values: convert(index.type, where) };
        break;
      }
    }
    throw new Error(`kubernetes-types: unsupported type ${node.getText()} at ${where}`);
  };

  const sources = new Map(program.getSourceFiles().filter((sf) => sf.fileName.startsWith(packageDir)).map((sf) => [moduleOf(sf), sf]));
  const pending = [...modules];
  const done = new Set();
  while (pending.length > 0) {
    const module = pending.shift();
    if (done.has(module)) continue;
    done.add(module);
    const sf = sources.get(module);
    if (!sf) throw new Error(`kubernetes-types: no module ${module}`);
    const prefix = definitionPrefix(module);
    for (const stmt of sf.statements) {
      if (ts.isInterfaceDeclaration(stmt)) {
        const name = `${prefix}.${stmt.name.text}`;
        const properties = [];
        for (const m of stmt.members) {
          if (!ts.isPropertySignature(m) || !m.type) throw new Error(`kubernetes-types: unexpected member in ${name}`);
          const prop = m.name.text ?? m.name.getText();
          properties.push({ name: prop, description: doc(m), optional: !!m.questionToken, type: convert(m.type, `${name}.${prop}`) });
        }
        declarations.set(name, { name, module, description: doc(stmt), interface: { properties } });
      } else if (ts.isTypeAliasDeclaration(stmt)) {
        const name = `${prefix}.${stmt.name.text}`;
        declarations.set(name, { name, module, description: doc(stmt), alias: convert(stmt.type, name) });
      }
    }
    // Modules this one imports from hold the definitions its types refer to.
    for (const stmt of sf.statements) {
      if (ts.isImportDeclaration(stmt)) pending.push(path.posix.join(path.posix.dirname(module), stmt.moduleSpecifier.text));
    }
  }
  const version = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version;
  return { version, declarations };
}

function listDts(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listDts(p));
    else if (entry.name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}
