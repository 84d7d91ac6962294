// Streams on a terminal as the text a person reads, for every streaming API llmpass knows; piped, the bytes as
// they came; --events the events one by one; --ndjson one JSON value per line for jq.
import { afterAll, describe, expect, it } from 'vitest';
import { slowChunks, sseChunks, status, type FakeHandler } from '../fixtures/fake-upstream.ts';
import { fakeUpstreams } from '../support/upstreams.ts';
import { assertBuilt, baseEnv, call } from '../support/cli.ts';
import { cleanupTemp, tempDir } from '../support/tmp.ts';

assertBuilt();
afterAll(cleanupTemp);
const upstream = fakeUpstreams(() => status(204));

const env = baseEnv({ NO_COLOR: '1', ANTHROPIC_API_KEY: 'k', GEMINI_API_KEY: 'k', COHERE_API_KEY: 'k', OPENAI_API_KEY: 'k' });
const j = (value: unknown) => JSON.stringify(value);

interface Case {
  name: string;
  model: string;
  endpoint: string;
  handler: FakeHandler;
  /** What a terminal shows (NO_COLOR). */
  text: string;
}

const chat = (delta: unknown, usage?: unknown) => j({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: null }], ...(usage ? { usage } : {}) });
const anthropicEvent = (type: string, body: Record<string, unknown>) => `event: ${type}\ndata: ${j({ type, ...body })}`;
const cohereEvent = (type: string, body: Record<string, unknown>) => `event: ${type}\ndata: ${j({ type, ...body })}`;

const CASES: Case[] = [
  {
    name: 'OpenAI chat completions (vLLM), with reasoning and a tool call',
    model: 'hosted_vllm/m',
    endpoint: 'v1/chat/completions',
    handler: sseChunks([
      chat({ role: 'assistant', content: '' }),
      chat({ reasoning_content: 'The user greets.' }),
      chat({ content: 'Hello' }),
      chat({ content: ', world' }),
      chat({ tool_calls: [{ index: 0, id: 't', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
      chat({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
      chat({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
      j({ id: 'c', choices: [], usage: { prompt_tokens: 5, completion_tokens: 7 } }),
      '[DONE]',
    ], 5),
    text: 'The user greets.\nHello, world\n⚙ get_weather({"city":"Paris"})\n',
  },
  {
    name: 'OpenAI completions',
    model: 'openai/gpt-3.5-turbo-instruct',
    endpoint: 'completions',
    handler: sseChunks([j({ choices: [{ text: 'Once upon', index: 0 }] }), j({ choices: [{ text: ' a time', index: 0 }] }), '[DONE]'], 5),
    text: 'Once upon a time\n',
  },
  {
    name: 'OpenAI Responses',
    model: 'openai/gpt-4o',
    endpoint: 'responses',
    handler: sseChunks([
      `event: response.created\ndata: ${j({ type: 'response.created', response: {} })}`,
      `event: response.output_text.delta\ndata: ${j({ type: 'response.output_text.delta', delta: 'Bonjour' })}`,
      `event: response.output_text.delta\ndata: ${j({ type: 'response.output_text.delta', delta: ' !' })}`,
      `event: response.completed\ndata: ${j({ type: 'response.completed', response: { usage: { input_tokens: 3, output_tokens: 2 } } })}`,
    ], 5),
    text: 'Bonjour !\n',
  },
  {
    name: 'Anthropic messages, with thinking and a tool use',
    model: 'anthropic/claude-x',
    endpoint: 'v1/messages',
    handler: sseChunks([
      anthropicEvent('message_start', { message: { usage: { input_tokens: 9, output_tokens: 1 } } }),
      anthropicEvent('content_block_start', { index: 0, content_block: { type: 'thinking', thinking: '' } }),
      anthropicEvent('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'Simple.' } }),
      anthropicEvent('content_block_stop', { index: 0 }),
      anthropicEvent('content_block_start', { index: 1, content_block: { type: 'text', text: '' } }),
      anthropicEvent('content_block_delta', { index: 1, delta: { type: 'text_delta', text: 'Hi there' } }),
      anthropicEvent('content_block_stop', { index: 1 }),
      anthropicEvent('content_block_start', { index: 2, content_block: { type: 'tool_use', name: 'lookup', input: {} } }),
      anthropicEvent('content_block_delta', { index: 2, delta: { type: 'input_json_delta', partial_json: '{"q":"x"}' } }),
      anthropicEvent('content_block_stop', { index: 2 }),
      anthropicEvent('message_delta', { delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 12 } }),
      anthropicEvent('message_stop', {}),
    ], 5),
    text: 'Simple.\nHi there\n⚙ lookup({"q":"x"})\n',
  },
  {
    name: 'Gemini streamGenerateContent',
    model: 'gemini/gemini-2.0-flash',
    endpoint: 'v1beta/models/gemini-2.0-flash:streamGenerateContent',
    handler: sseChunks([
      j({ candidates: [{ content: { role: 'model', parts: [{ text: 'Thinking...', thought: true }] } }] }),
      j({ candidates: [{ content: { role: 'model', parts: [{ text: 'Guten ' }] } }] }),
      j({ candidates: [{ content: { role: 'model', parts: [{ text: 'Tag' }] } }], usageMetadata: { promptTokenCount: 4, candidatesTokenCount: 2 } }),
    ], 5),
    text: 'Thinking...\nGuten Tag\n',
  },
  {
    name: 'Cohere v2 chat',
    model: 'cohere/command-r',
    endpoint: 'v2/chat',
    handler: sseChunks([
      cohereEvent('message-start', { id: 'x', delta: { message: { role: 'assistant' } } }),
      cohereEvent('content-start', { index: 0, delta: { message: { content: { type: 'text', text: '' } } } }),
      cohereEvent('content-delta', { index: 0, delta: { message: { content: { text: 'Hola' } } } }),
      cohereEvent('content-delta', { index: 0, delta: { message: { content: { text: ' amigo' } } } }),
      cohereEvent('content-end', { index: 0 }),
      cohereEvent('message-end', { delta: { finish_reason: 'COMPLETE', usage: { billed_units: { input_tokens: 3, output_tokens: 2 } } } }),
    ], 5),
    text: 'Hola amigo\n',
  },
  {
    name: 'Ollama NDJSON',
    model: 'ollama/llama3',
    endpoint: 'api/chat',
    handler: slowChunks(
      [
        `${j({ model: 'llama3', message: { role: 'assistant', content: 'Ciao' }, done: false })}\n`,
        `${j({ model: 'llama3', message: { role: 'assistant', content: ' mondo' }, done: false })}\n`,
        `${j({ model: 'llama3', message: { role: 'assistant', content: '' }, done: true, prompt_eval_count: 4, eval_count: 2 })}\n`,
      ],
      5,
      { 'content-type': 'application/x-ndjson' },
    ),
    text: 'Ciao mondo\n',
  },
];

describe('a stream on a terminal is its text', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const server = await upstream(c.handler);
      const args = [c.model, c.endpoint, '--api-base', server.url, '--json', '{"stream":true}'];
      const tty = await call(tempDir(), args, { tty: true, env });
      expect(tty.code, tty.stdout.toString()).toBe(0);
      expect(tty.stdout.toString()).toBe(c.text);
      // Piped: the body byte for byte, nothing on stderr.
      const piped = await call(tempDir(), args, { env });
      expect(piped.code).toBe(0);
      expect(piped.stderr).toBe('');
      const direct = Buffer.from(await (await fetch(`${server.url}/direct`, { method: 'POST' })).arrayBuffer());
      expect(piped.stdout.equals(direct)).toBe(true);
    });
  }

  it('reasoning is dimmed and tool calls coloured when colour is on', async () => {
    const server = await upstream(CASES[0]!.handler);
    const tty = await call(tempDir(), ['hosted_vllm/m', 'v1/chat/completions', '--api-base', server.url, '--json', '{}'], { tty: true, env: baseEnv() });
    expect(tty.stdout.toString()).toContain('\u001b[2mThe user greets.\u001b[22m');
    expect(tty.stdout.toString()).toContain('\u001b[36m⚙ get_weather(\u001b[39m');
  });

  it('an unknown event format falls back to the events one by one', async () => {
    const server = await upstream(sseChunks(['{"n":1}', 'event: done\ndata: {}', '[DONE]'], 5));
    const tty = await call(tempDir(), ['hosted_vllm/m', 'x', '--api-base', server.url, '--json', '{}'], { tty: true, env });
    expect(tty.stdout.toString()).toBe('{"n":1}\nevent: done {}\n[DONE]\n');
  });

  it('--events shows a known stream event by event', async () => {
    const server = await upstream(CASES[1]!.handler);
    const tty = await call(tempDir(), ['openai/gpt-3.5-turbo-instruct', 'completions', '--api-base', server.url, '--json', '{}', '--events'], { tty: true, env });
    expect(tty.stdout.toString()).toBe('{"choices":[{"text":"Once upon","index":0}]}\n{"choices":[{"text":" a time","index":0}]}\n[DONE]\n');
  });
});

describe('--ndjson', () => {
  it('each event\'s data as one JSON value per line, piped, [DONE] left out', async () => {
    const server = await upstream(CASES[3]!.handler);
    const piped = await call(tempDir(), ['anthropic/claude-x', 'v1/messages', '--api-base', server.url, '--json', '{}', '--ndjson'], { env });
    expect(piped.code).toBe(0);
    const lines = piped.stdout.toString().trimEnd().split('\n');
    expect(lines).toHaveLength(12);
    expect(lines.map((line) => (JSON.parse(line) as { type: string }).type)[0]).toBe('message_start');
  });

  it('an SSE stream with [DONE] and an Ollama NDJSON stream alike', async () => {
    const sse = await upstream(CASES[1]!.handler);
    const fromSse = await call(tempDir(), ['openai/gpt-3.5-turbo-instruct', 'completions', '--api-base', sse.url, '--json', '{}', '--ndjson'], { env });
    expect(fromSse.stdout.toString()).toBe('{"choices":[{"text":"Once upon","index":0}]}\n{"choices":[{"text":" a time","index":0}]}\n');
    const ndjson = await upstream(CASES[6]!.handler);
    const fromNdjson = await call(tempDir(), ['ollama/llama3', 'api/chat', '--api-base', ndjson.url, '--json', '{}', '--ndjson'], { env });
    expect(fromNdjson.stdout.toString().trimEnd().split('\n')).toHaveLength(3);
  });
});
