import { displayHeaders, displayRequestUrl, type UpstreamRequest } from '../transport/request.ts';

function bodyText(request: UpstreamRequest): string | undefined {
  const body = request.body;
  if (!body) return undefined;
  if (body.kind === 'bytes') return new TextDecoder().decode(body.bytes);
  if (body.kind === 'form') return '<multipart form>';
  return body.length === undefined ? '<streamed body>' : `<streamed body, ${body.length} bytes>`;
}

/** The resolved request for `--dry-run` and `--verbose`: credentials show as `$VAR` or `***`, never their value. */
export function describeRequest(request: UpstreamRequest): string {
  const lines = [`${request.method} ${displayRequestUrl(request)}`];
  for (const [name, value] of displayHeaders(request.headers)) lines.push(`${name}: ${value}`);
  const auth = request.deployment.provider.auth;
  if (auth.kind === 'signed') lines.push(`authorization: <${auth.scheme}, computed when sent>`);
  const body = bodyText(request);
  if (body !== undefined) lines.push('', body);
  return lines.join('\n');
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** An equivalent curl command. A key from an environment variable stays a `$VAR` the shell expands. */
export function curlCommand(request: UpstreamRequest, bodySource?: string): string {
  const parts = ['curl', '-X', request.method, shellQuote(displayRequestUrl(request))];
  for (const [name, value] of displayHeaders(request.headers)) {
    const header = `${name}: ${value}`;
    parts.push('-H', /\$[A-Z_][A-Z0-9_]*/.test(value) ? `"${header.replace(/(["\\`])/g, '\\$1')}"` : shellQuote(header));
  }
  const auth = request.deployment.provider.auth;
  if (auth.kind === 'signed') parts.push(...(auth.curlArgs?.(request.deployment) ?? []));
  const body = request.body;
  if (body?.kind === 'bytes') parts.push('--data-raw', shellQuote(new TextDecoder().decode(body.bytes)));
  else if (body) parts.push(bodySource ?? '--data-binary @-');
  return parts.join(' ');
}
