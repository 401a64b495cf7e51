import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  // Skill code is an async function body (top-level await and return), checked by the skill
  // validator instead (code-parses), which a module or script parser would reject.
  {
    ignores: [
      '.output/**',
      'sdk/dist/**',
      '.nitro/**',
      '.data/**',
      '.test-data/**',
      '.ci-results/**',
      'node_modules/**',
      'schemas/types.ts',
      'skills/**/index.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        fetch: 'readonly',
        performance: 'readonly',
        queueMicrotask: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        setImmediate: 'readonly',
      },
    },
    rules: {
      // Unused arguments keep handler signatures readable; a leading underscore marks them.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      // The security tests build hostile strings with control characters on purpose.
      'no-control-regex': 'off',
    },
  },
  {
    files: ['extension/**/*.js'],
    // The browser extension: an extension page and a service worker, with the WebExtension API.
    languageOptions: {
      globals: {
        chrome: 'readonly',
        document: 'readonly',
        navigator: 'readonly',
        fetch: 'readonly',
      },
    },
  },
  {
    files: ['runtime/guest.mjs'],
    // The guest runs after SES lockdown(), which installs these globals.
    languageOptions: {
      globals: {
        harden: 'readonly',
        lockdown: 'readonly',
        Compartment: 'readonly',
        SharedArrayBuffer: 'readonly',
        Atomics: 'readonly',
        Int32Array: 'readonly',
      },
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    // Tests read untyped JSON answers of the API; `any` there keeps the assertions short.
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
)
