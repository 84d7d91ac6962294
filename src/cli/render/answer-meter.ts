import { PassThrough, Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { deploymentCost } from '../../accounting/cost.ts';
import { UsageCounter } from '../../accounting/usage-tap.ts';
import type { Deployment } from '../../core/deployment.ts';
import { formatCost } from './format-cost.ts';
import { replyHeader } from '../../transport/reply.ts';
import type { UpstreamReply } from '../../core/reply.ts';
import { eventJson, streamEvents, streamFormat } from './stream-events.ts';

// The footer's figures: status, total time, time to first byte (first token for streams), tokens, their rate and
// their cost. Loaded only when a footer is shown (a terminal) or asked for (--meta, --meta-json, --verbose).

export interface AnswerFigures {
  status: number;
  statusText: string;
  totalMs: number;
  ttfbMs: number | undefined;
  firstTokenMs: number | undefined;
  tokensIn: number | undefined;
  tokensOut: number | undefined;
  tokensPerSecond: number | undefined;
  /** USD at the deployment's rates or the price table; null when unknown (no usage) or unpriced, never 0. */
  cost: number | null;
}

export interface Meter {
  /** The reply to print: the same bytes, counted on their way. */
  reply: UpstreamReply;
  /** The figures, once the body has been read. */
  figures(): Promise<AnswerFigures>;
  /** Whether the body's last byte was a newline (or there was no body): printed as is, the next line starts clean. */
  endedLine(): boolean;
}

/**
 * Wraps the reply's body so every chunk is timed, its first token found by the provider's `streamText` hook and its
 * usage read by the provider's `usage` hook, then priced for the deployment that answered.
 */
export function meterReply(reply: UpstreamReply, deployment: Deployment | undefined, startedAt: number): Meter {
  const provider = deployment?.provider;
  const contentType = replyHeader(reply, 'content-type') ?? '';
  const format = streamFormat(contentType);
  const reader = provider?.streamText;
  const usage = provider?.usage ? new UsageCounter(contentType, provider.usage) : undefined;
  let firstByteAt: number | undefined;
  let firstTokenAt: number | undefined;
  let lastByte: number | undefined;
  const events = format && reader ? new PassThrough() : undefined;
  const reading = events
    ? (async () => {
        for await (const batch of streamEvents(events, format!)) {
          for (const event of batch) {
            const json = eventJson(event);
            const delta = json === undefined ? undefined : reader!(json, event.event);
            if (!delta) continue;
            if (firstTokenAt === undefined && (delta.text || delta.reasoning || delta.tool)) firstTokenAt = performance.now();
          }
        }
      })().catch(() => undefined)
    : undefined;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      firstByteAt ??= performance.now();
      if (chunk.length > 0) lastByte = chunk[chunk.length - 1];
      events?.write(chunk);
      usage?.push(chunk);
      done(null, chunk);
    },
    flush(done) {
      events?.end();
      done();
    },
  });
  const piping = pipeline(reply.body, tap).catch(() => events?.end());
  return {
    reply: { ...reply, body: tap as Readable },
    endedLine: () => lastByte === undefined || lastByte === 0x0a,
    async figures() {
      await piping;
      await reading;
      const endedAt = performance.now();
      const tokens = usage?.end();
      const since = (at: number | undefined) => (at === undefined ? undefined : at - startedAt);
      const generating = firstTokenAt === undefined ? undefined : (endedAt - firstTokenAt) / 1000;
      return {
        status: reply.status,
        statusText: reply.statusText,
        totalMs: endedAt - startedAt,
        ttfbMs: since(firstByteAt),
        firstTokenMs: since(firstTokenAt),
        tokensIn: tokens?.input,
        tokensOut: tokens?.output,
        tokensPerSecond: tokens?.output !== undefined && generating ? tokens.output / generating : undefined,
        cost: deployment && tokens ? await deploymentCost(deployment, tokens, new Date()) : null,
      };
    },
  };
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

/**
 * `HTTP 200 OK · 1.84 s · first token 0.21 s · 12 in / 85 out tokens · cost $0.000182 · 52.3 tokens/s`, and
 * `· 3 attempts` if retried. A 2xx answer always says its tokens and cost, `–` when unknown or unpriced (never 0).
 */
export function footerLine(figures: AnswerFigures, attempts = 1): string {
  const parts = [`HTTP ${figures.status} ${figures.statusText}`.trimEnd(), seconds(figures.totalMs)];
  if (figures.firstTokenMs !== undefined) parts.push(`first token ${seconds(figures.firstTokenMs)}`);
  else if (figures.ttfbMs !== undefined) parts.push(`first byte ${seconds(figures.ttfbMs)}`);
  const answered = figures.status >= 200 && figures.status < 300;
  if (figures.tokensIn !== undefined || figures.tokensOut !== undefined) parts.push(`${figures.tokensIn ?? '?'} in / ${figures.tokensOut ?? '?'} out tokens`);
  else if (answered) parts.push('tokens –');
  if (figures.cost !== null || answered) parts.push(`cost ${formatCost(figures.cost)}`);
  if (figures.tokensPerSecond !== undefined) parts.push(`${figures.tokensPerSecond.toFixed(1)} tokens/s`);
  if (attempts > 1) parts.push(`${attempts} attempts`);
  return `${parts.join(' · ')}\n`;
}

/** The same figures as one JSON object (times in milliseconds; absent figures are null). */
export function footerJson(figures: AnswerFigures, attempts = 1): string {
  const ms = (value: number | undefined) => (value === undefined ? null : Math.round(value));
  return `${JSON.stringify({
    status: figures.status,
    total_ms: ms(figures.totalMs),
    ttfb_ms: ms(figures.ttfbMs),
    first_token_ms: ms(figures.firstTokenMs),
    tokens_in: figures.tokensIn ?? null,
    tokens_out: figures.tokensOut ?? null,
    tokens_per_s: figures.tokensPerSecond === undefined ? null : Math.round(figures.tokensPerSecond * 10) / 10,
    cost: figures.cost,
    attempts,
  })}\n`;
}
