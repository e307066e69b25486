'use strict';
// ESLint for the library (ts/): ESLint's and typescript-eslint's recommended rules,
// type-aware (about 10 s on ts/). Run by `npm run lint` (scripts/lint.js), part of `npm test`.
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');

module.exports = tseslint.config(
  {
    files: ['ts/**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // An async function without await is how a method that returns a Promise turns a throw into a rejection (transport/memory.ts).
      '@typescript-eslint/require-await': 'off',
      // `import x = require('x')` is TypeScript's import of a CommonJS `export =` module (big-integer, ws):
      // without esModuleInterop (tsconfig.json) it compiles to a plain require(), with no helper per file
      '@typescript-eslint/no-require-imports': ['error', { allowAsImport: true }],
    },
  },
  {
    // Backends are tables of free functions (the Backend interface, the N-API addon's exports, the
    // message codec): handing a function on without its object is the design, none uses `this`.
    files: ['ts/base/hybrid-backend.ts', 'ts/base/native-backend.ts', 'ts/base/js/message.ts'],
    rules: { '@typescript-eslint/unbound-method': 'off' },
  },
  {
    // These load the N-API addon (computed paths) and optional or lazily used packages with require()
    // on purpose, and what require() returns is `any`.
    files: ['ts/native.ts', 'ts/compat/base.ts', 'ts/cli/demo-mesh.ts'],
    rules: { '@typescript-eslint/no-require-imports': 'off', '@typescript-eslint/no-unsafe-return': 'off' },
  },
  {
    // A generator (replication.ts) and an object literal's methods (memory.ts) need the enclosing `this` under a name.
    files: ['ts/chord/replication.ts', 'ts/transport/memory.ts'],
    rules: { '@typescript-eslint/no-this-alias': 'off' },
  },
);
