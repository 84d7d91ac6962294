/** Whether a key's list allows a name: empty allows all; `*` in an entry matches any run of characters. */
export function allowedBy(patterns: readonly string[], name: string): boolean {
  if (patterns.length === 0) return true;
  return patterns.some((pattern) => (pattern.includes('*') ? wildcard(pattern).test(name) : pattern === name));
}

const compiled = new Map<string, RegExp>();

function wildcard(pattern: string): RegExp {
  let regex = compiled.get(pattern);
  if (!regex) {
    regex = new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    compiled.set(pattern, regex);
  }
  return regex;
}

/** Whether a key's allowed routes cover a path: a prefix ending at a segment boundary; empty allows all. */
export function routeAllowed(routes: readonly string[], path: string): boolean {
  if (routes.length === 0) return true;
  return routes.some((route) => {
    const prefix = route.replace(/\/+$/, '');
    return path === prefix || path.startsWith(`${prefix}/`) || prefix === '';
  });
}
