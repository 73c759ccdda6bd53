// Tests are TypeScript compiled on the fly by swc. Some dev dependencies
// (@kubernetes/client-node and its auth libraries) ship only as ES modules,
// so those are transpiled to CommonJS too.
const esmOnly = ['@kubernetes/client-node', 'openid-client', 'oauth4webapi', 'jose', 'jsonpath-plus'];

/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  // examples/plugins holds example npm plugin packages; their tests are plain JS.
  roots: ['<rootDir>/test', '<rootDir>/examples/plugins'],
  testMatch: ['**/*.test.ts', '**/examples/plugins/**/*.test.js'],
  transform: {
    '^.+\\.(t|j|mj)s$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2022',
        },
        module: { type: 'commonjs' },
      },
    ],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  testTimeout: 30000,
};
