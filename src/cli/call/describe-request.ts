import { displayHeaders, displayRequestUrl } from '../../transport/request.ts';
import { formFilePaths } from './form-file-paths.ts';
import type { HeaderValue, UpstreamRequest } from '../../core/request.ts';

/** Node's multipart encoder gives a file part with no type this one; curl must be told the same. */
const DEFAULT_PART_TYPE = 'application/octet-stream';

function isFile(value: FormDataEntryValue): value is File {
  return typeof value !== 'string';
}

function formLines(form: FormData): string[] {
  const lines = ['<multipart form>'];
  for (const [name, value] of form) {
    if (!isFile(value)) lines.push(`${name}=${value}`);
    else {
      const from = formFilePaths.get(value);
      lines.push(`${name}=@${value.name} (${value.size} bytes, ${value.type || DEFAULT_PART_TYPE}${from && from !== value.name ? `, from ${from}` : ''})`);
    }
  }
  return lines;
}

function bodyText(request: UpstreamRequest): string | undefined {
  const body = request.body;
  if (!body) return undefined;
  if (body.kind === 'bytes') return new TextDecoder().decode(body.bytes);
  if (body.kind === 'form') return formLines(body.form).join('\n');
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

/** One shell word that the shell takes literally, whatever the text holds. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

const REFERENCE = /(\$[A-Za-z_][A-Za-z0-9_]*)/;
const WHOLE_REFERENCE = /^\$[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A header as one shell word. Everything is literal except the `$VAR` references a configured credential shows
 * (`'authorization: Bearer '"$OPENAI_API_KEY"`): the shell expands those, and only those. A caller's own header is
 * a plain string, never a credential, so all of it stays literal.
 */
function curlHeader(name: string, value: HeaderValue, shown: string): string {
  // curl sends `Name;` as an empty header; `Name:` would remove it.
  if (shown === '') return shellQuote(`${name};`);
  if (typeof value === 'string' || shown !== value.prefix + value.secret.describe()) return shellQuote(`${name}: ${shown}`);
  const pieces = `${name}: ${shown}`.split(REFERENCE).filter(Boolean);
  return pieces.map((piece) => (WHOLE_REFERENCE.test(piece) ? `"${piece}"` : shellQuote(piece))).join('');
}

/** A value inside curl's -F syntax, where `;` and `,` end a value unless it is double-quoted. */
function curlFormValue(text: string): string {
  return /[;,"\\\s]/.test(text) ? `"${text.replace(/(["\\])/g, '\\$1')}"` : text;
}

function curlFormArgs(form: FormData): string[] {
  const args: string[] = [];
  for (const [name, value] of form) {
    // --form-string sends the value as is: -F would read `@x` and `<x` as files and `;type=` as options.
    if (!isFile(value)) args.push('--form-string', shellQuote(`${name}=${value}`));
    else {
      const path = formFilePaths.get(value) ?? value.name;
      const spec = `${name}=@${curlFormValue(path)};type=${value.type || DEFAULT_PART_TYPE};filename=${curlFormValue(value.name)}`;
      args.push('-F', shellQuote(spec));
    }
  }
  return args;
}

/**
 * An equivalent curl command, safe to paste: every word is quoted literally; only a key from an environment
 * variable stays a `$VAR` for the shell to expand.
 */
export function curlCommand(request: UpstreamRequest, bodySource?: { file: string }): string {
  const url = displayRequestUrl(request);
  // curl globs [] and {} in URLs unless told not to.
  const parts = ['curl', ...(/[[\]{}]/.test(url) ? ['--globoff'] : []), '-X', request.method, shellQuote(url)];
  const shown = displayHeaders(request.headers);
  [...request.headers].forEach(([name, value], i) => parts.push('-H', curlHeader(name, value, shown[i]![1])));
  const auth = request.deployment.provider.auth;
  if (auth.kind === 'signed') parts.push(...(auth.curlArgs?.(request.deployment) ?? []));
  const body = request.body;
  if (body?.kind === 'bytes') parts.push('--data-raw', shellQuote(new TextDecoder().decode(body.bytes)));
  else if (body?.kind === 'form') parts.push(...curlFormArgs(body.form));
  else if (body) parts.push('--data-binary', shellQuote(`@${bodySource?.file ?? '-'}`));
  return parts.join(' ');
}
