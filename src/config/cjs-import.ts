/**
 * A CommonJS package's exports after `import()`: Node puts them on the namespace, a bundle may put them only
 * on `default`. `probe` is an export that must be there.
 */
export function cjsExports<T extends object>(namespace: T, probe: keyof T): T {
  if (namespace[probe] !== undefined) return namespace;
  return (namespace as unknown as { default: T }).default;
}
