import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'oclif.manifest.json'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', URLSearchParams: 'readonly',
        setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly',
        setImmediate: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', fetch: 'readonly',
        Response: 'readonly', Request: 'readonly', Headers: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly',
        ReadableStream: 'readonly', TransformStream: 'readonly', FormData: 'readonly', Blob: 'readonly',
        performance: 'readonly', queueMicrotask: 'readonly', structuredClone: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-control-regex': 'off',
    },
  },
  {
    // A provider's quirks live in its entry: no code outside src/providers/ asks which provider it holds
    // (test/providers/ids-stay-home.test.ts checks the literal ids themselves).
    files: ['src/**/*.ts'],
    ignores: ['src/providers/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...['left', 'right'].map((side) => ({
          selector: `BinaryExpression[operator=/^[!=]==?$/][${side}.type='MemberExpression'][${side}.property.name='id'][${side === 'left' ? 'right' : 'left'}.type='Literal']`,
          message: 'Compare no provider id outside src/providers/: give the provider entry a field or a hook (src/providers/types.ts).',
        })),
        {
          selector: "SwitchStatement[discriminant.type='MemberExpression'][discriminant.property.name='id']",
          message: 'Switch on no provider id outside src/providers/: give the provider entry a field or a hook (src/providers/types.ts).',
        },
      ],
    },
  },
);
