// Golden answers, in each API's real shape, buffered and streamed, read through the provider entry's one usage
// reader as the bytes pass (in 7-byte pieces, so events and frames are cut anywhere). Unknown is never 0.
import { describe, expect, it } from 'vitest';
import { UsageCounter } from '../../src/accounting/usage-tap.ts';
import type { Usage } from '../../src/accounting/usage.ts';
import { findProvider } from '../../src/providers/registry.ts';
import { eventFrame, EVENT_STREAM } from '../fixtures/fake-bedrock.ts';

const j = (value: unknown) => JSON.stringify(value);
const sse = (...events: unknown[]) => events.map((e) => (typeof e === 'string' ? `data: ${e}\n\n` : `data: ${j(e)}\n\n`)).join('');
const typed = (...events: Array<Record<string, unknown> & { type: string }>) => events.map((e) => `event: ${e.type}\ndata: ${j(e)}\n\n`).join('');
const ndjson = (...lines: unknown[]) => lines.map((line) => `${j(line)}\n`).join('');
const b64 = (value: unknown) => Buffer.from(j(value)).toString('base64');
const JSON_TYPE = 'application/json';
const SSE = 'text/event-stream';

/** Expected counts; a field left out is expected unknown (undefined). */
const tokens = (counts: Partial<Usage>): Usage => ({ input: undefined, output: undefined, cacheRead: undefined, cacheWrite: undefined, reasoning: undefined, ...counts });

interface Golden {
  provider: string;
  family: string;
  mode: 'buffered' | 'streamed';
  contentType: string;
  body: string | Buffer;
  usage: Usage;
}

const GOLDEN: Golden[] = [
  // OpenAI
  {
    provider: 'openai', family: 'chat', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ id: 'chatcmpl-1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1200, completion_tokens: 300, total_tokens: 1500, prompt_tokens_details: { cached_tokens: 1024, audio_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 128, audio_tokens: 0 } } }),
    usage: tokens({ input: 1200, output: 300, cacheRead: 1024, reasoning: 128 }),
  },
  {
    provider: 'openai', family: 'chat', mode: 'streamed', contentType: SSE,
    body: sse({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant', content: '' } }], usage: null }, { id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'Hi' } }], usage: null }, { id: 'c', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17, prompt_tokens_details: { cached_tokens: 0 }, completion_tokens_details: { reasoning_tokens: 0 } } }, '[DONE]'),
    usage: tokens({ input: 12, output: 5, cacheRead: 0, reasoning: 0 }),
  },
  {
    provider: 'openai', family: 'chat', mode: 'streamed', contentType: SSE,
    body: sse({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'Hi' } }] }, '[DONE]'),
    usage: tokens({}), // no stream_options.include_usage: not reported, so unknown
  },
  {
    provider: 'openai', family: 'completions', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ id: 'cmpl-1', object: 'text_completion', choices: [{ text: 'Once', index: 0, finish_reason: 'length' }], usage: { prompt_tokens: 4, completion_tokens: 16, total_tokens: 20 } }),
    usage: tokens({ input: 4, output: 16 }),
  },
  {
    provider: 'openai', family: 'completions', mode: 'streamed', contentType: SSE,
    body: sse({ id: 'cmpl-1', object: 'text_completion', choices: [{ text: 'Once', index: 0 }] }, { id: 'cmpl-1', object: 'text_completion', choices: [], usage: { prompt_tokens: 4, completion_tokens: 16, total_tokens: 20 } }, '[DONE]'),
    usage: tokens({ input: 4, output: 16 }),
  },
  {
    provider: 'openai', family: 'responses', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ id: 'resp_1', object: 'response', status: 'completed', output: [], usage: { input_tokens: 328, input_tokens_details: { cached_tokens: 256 }, output_tokens: 52, output_tokens_details: { reasoning_tokens: 40 }, total_tokens: 380 } }),
    usage: tokens({ input: 328, output: 52, cacheRead: 256, reasoning: 40 }),
  },
  {
    provider: 'openai', family: 'responses', mode: 'streamed', contentType: SSE,
    body: typed({ type: 'response.created', sequence_number: 0, response: { id: 'resp_1', status: 'in_progress', usage: null } }, { type: 'response.output_text.delta', sequence_number: 1, item_id: 'm', output_index: 0, content_index: 0, delta: 'Hi' }, { type: 'response.completed', sequence_number: 2, response: { id: 'resp_1', status: 'completed', usage: { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 3, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 13 } } }),
    usage: tokens({ input: 10, output: 3, cacheRead: 0, reasoning: 0 }),
  },
  {
    provider: 'openai', family: 'embeddings', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.1, -0.2] }], model: 'text-embedding-3-small', usage: { prompt_tokens: 8, total_tokens: 8 } }),
    usage: tokens({ input: 8, output: 0 }),
  },
  // Anthropic (input includes cache reads and writes, as genai-prices counts it)
  {
    provider: 'anthropic', family: 'messages', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ id: 'msg_1', type: 'message', role: 'assistant', content: [{ type: 'text', text: 'Hi' }], stop_reason: 'end_turn', usage: { input_tokens: 21, cache_creation_input_tokens: 188, cache_read_input_tokens: 1800, output_tokens: 393, service_tier: 'standard' } }),
    usage: tokens({ input: 2009, output: 393, cacheRead: 1800, cacheWrite: 188 }),
  },
  {
    provider: 'anthropic', family: 'messages', mode: 'streamed', contentType: SSE,
    body: typed(
      { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], usage: { input_tokens: 25, cache_creation_input_tokens: 0, cache_read_input_tokens: 1000, output_tokens: 1 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'ping' },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 15 } },
      { type: 'message_stop' },
    ),
    usage: tokens({ input: 1025, output: 15, cacheRead: 1000, cacheWrite: 0 }),
  },
  // Gemini (prompt count includes the cached content; output includes thoughts)
  {
    provider: 'gemini', family: 'generateContent', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ candidates: [{ content: { role: 'model', parts: [{ text: 'Hi' }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 2100, candidatesTokenCount: 40, totalTokenCount: 2240, cachedContentTokenCount: 2048, thoughtsTokenCount: 100 }, modelVersion: 'gemini-2.5-flash' }),
    usage: tokens({ input: 2100, output: 140, cacheRead: 2048, reasoning: 100 }),
  },
  {
    provider: 'gemini', family: 'streamGenerateContent', mode: 'streamed', contentType: SSE,
    body: sse({ candidates: [{ content: { role: 'model', parts: [{ text: 'Hel' }] } }], usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 } }, { candidates: [{ content: { role: 'model', parts: [{ text: 'lo' }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 2, totalTokenCount: 11 } }),
    usage: tokens({ input: 9, output: 2 }),
  },
  {
    provider: 'gemini', family: 'streamGenerateContent', mode: 'buffered', contentType: JSON_TYPE, // without alt=sse: one JSON array
    body: j([{ candidates: [{ content: { parts: [{ text: 'Hel' }] } }], usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 } }, { candidates: [{ content: { parts: [{ text: 'lo' }] } }], usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 2, totalTokenCount: 15, thoughtsTokenCount: 4 } }]),
    usage: tokens({ input: 9, output: 6, reasoning: 4 }),
  },
  {
    provider: 'gemini', family: 'embedContent', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ embedding: { values: [0.1, 0.2] } }),
    usage: tokens({}), // AI Studio reports no usage for embeddings
  },
  {
    provider: 'vertex_ai', family: 'predict (embeddings)', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ predictions: [{ embeddings: { values: [0.1], statistics: { token_count: 6, truncated: false } } }, { embeddings: { values: [0.2], statistics: { token_count: 4, truncated: false } } }] }),
    usage: tokens({ input: 10, output: 0 }),
  },
  {
    provider: 'vertex_ai', family: 'rawPredict (Claude)', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ id: 'msg_1', type: 'message', content: [], usage: { input_tokens: 5, output_tokens: 7 } }),
    usage: tokens({ input: 5, output: 7 }),
  },
  {
    provider: 'vertex_ai', family: 'generateContent (Gemini)', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ candidates: [{ content: { role: 'model', parts: [{ text: 'Hi' }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 4, totalTokenCount: 16 }, modelVersion: 'gemini-2.5-flash' }),
    usage: tokens({ input: 12, output: 4 }),
  },
  {
    provider: 'vertex_ai', family: 'streamGenerateContent (Gemini)', mode: 'streamed', contentType: SSE,
    body: sse({ candidates: [{ content: { role: 'model', parts: [{ text: 'Hel' }] } }], usageMetadata: { promptTokenCount: 9, totalTokenCount: 9 } }, { candidates: [{ content: { role: 'model', parts: [{ text: 'lo' }] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 2, totalTokenCount: 14, thoughtsTokenCount: 3 } }),
    usage: tokens({ input: 9, output: 5, reasoning: 3 }),
  },
  {
    provider: 'vertex_ai', family: 'streamRawPredict (Claude)', mode: 'streamed', contentType: SSE,
    body: typed(
      { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], usage: { input_tokens: 14, output_tokens: 1 } } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } },
      { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 6 } },
      { type: 'message_stop' },
    ),
    usage: tokens({ input: 14, output: 6 }),
  },
  // Cohere v2 (billed units win: they are what is charged)
  {
    provider: 'cohere', family: 'chat', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ id: 'c1', finish_reason: 'COMPLETE', message: { role: 'assistant', content: [{ type: 'text', text: 'Hi' }] }, usage: { billed_units: { input_tokens: 5, output_tokens: 418 }, tokens: { input_tokens: 71, output_tokens: 418 } } }),
    usage: tokens({ input: 5, output: 418 }),
  },
  {
    provider: 'cohere', family: 'chat', mode: 'streamed', contentType: SSE,
    body: typed({ type: 'message-start', id: 'c1', delta: { message: { role: 'assistant' } } }, { type: 'content-delta', index: 0, delta: { message: { content: { text: 'Hi' } } } }, { type: 'message-end', delta: { finish_reason: 'COMPLETE', usage: { billed_units: { input_tokens: 3, output_tokens: 2 }, tokens: { input_tokens: 60, output_tokens: 2 } } } }),
    usage: tokens({ input: 3, output: 2 }),
  },
  {
    provider: 'cohere', family: 'embed', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ id: 'e1', embeddings: { float: [[0.1, 0.2]] }, texts: ['hello'], meta: { api_version: { version: '2' }, billed_units: { input_tokens: 2 } } }),
    usage: tokens({ input: 2, output: 0 }),
  },
  {
    provider: 'cohere', family: 'rerank', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ id: 'r1', results: [{ index: 0, relevance_score: 0.9 }], meta: { api_version: { version: '2' }, billed_units: { search_units: 1 } } }),
    usage: tokens({}), // billed in search units, not tokens
  },
  // Bedrock (inputTokens leaves cache reads and writes out)
  {
    provider: 'bedrock', family: 'converse', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ output: { message: { role: 'assistant', content: [{ text: 'Hi' }] } }, stopReason: 'end_turn', usage: { inputTokens: 30, outputTokens: 12, totalTokens: 1142, cacheReadInputTokens: 1000, cacheWriteInputTokens: 100 }, metrics: { latencyMs: 300 } }),
    usage: tokens({ input: 1130, output: 12, cacheRead: 1000, cacheWrite: 100 }),
  },
  {
    provider: 'bedrock', family: 'converse-stream', mode: 'streamed', contentType: EVENT_STREAM,
    body: Buffer.concat([eventFrame('messageStart', { role: 'assistant' }), eventFrame('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Hi' } }), eventFrame('messageStop', { stopReason: 'end_turn' }), eventFrame('metadata', { usage: { inputTokens: 3, outputTokens: 4, totalTokens: 7 }, metrics: { latencyMs: 12 } })]),
    usage: tokens({ input: 3, output: 4 }),
  },
  {
    provider: 'bedrock', family: 'invoke (Claude)', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ id: 'msg_1', type: 'message', content: [{ type: 'text', text: 'Hi' }], usage: { input_tokens: 11, output_tokens: 6, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 } }),
    usage: tokens({ input: 11, output: 6, cacheRead: 0, cacheWrite: 0 }),
  },
  {
    provider: 'bedrock', family: 'invoke (Llama)', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ generation: 'Hi', prompt_token_count: 14, generation_token_count: 3, stop_reason: 'stop' }),
    usage: tokens({ input: 14, output: 3 }),
  },
  {
    provider: 'bedrock', family: 'invoke (Titan embeddings)', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ embedding: [0.1, 0.2], inputTextTokenCount: 5 }),
    usage: tokens({ input: 5, output: 0 }),
  },
  {
    provider: 'bedrock', family: 'invoke-with-response-stream (Claude)', mode: 'streamed', contentType: EVENT_STREAM,
    body: Buffer.concat([
      eventFrame('chunk', { bytes: b64({ type: 'message_start', message: { usage: { input_tokens: 8, output_tokens: 1 } } }) }),
      eventFrame('chunk', { bytes: b64({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } }) }),
      eventFrame('chunk', { bytes: b64({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 9 } }) }),
      eventFrame('chunk', { bytes: b64({ type: 'message_stop', 'amazon-bedrock-invocationMetrics': { inputTokenCount: 8, outputTokenCount: 9, invocationLatency: 500, firstByteLatency: 200 } }) }),
    ]),
    usage: tokens({ input: 8, output: 9 }),
  },
  {
    provider: 'bedrock', family: 'invoke-with-response-stream (Llama)', mode: 'streamed', contentType: EVENT_STREAM,
    body: Buffer.concat([
      eventFrame('chunk', { bytes: b64({ generation: 'Hi', prompt_token_count: 14, generation_token_count: 1, stop_reason: null }) }),
      eventFrame('chunk', { bytes: b64({ generation: '!', prompt_token_count: null, generation_token_count: 2, stop_reason: 'stop', 'amazon-bedrock-invocationMetrics': { inputTokenCount: 14, outputTokenCount: 2, invocationLatency: 300, firstByteLatency: 100 } }) }),
    ]),
    usage: tokens({ input: 14, output: 2 }),
  },
  // Ollama: native NDJSON (the final `done` line) and its OpenAI routes
  {
    provider: 'ollama', family: 'api/chat', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ model: 'llama3.2', message: { role: 'assistant', content: 'Hi' }, done: true, done_reason: 'stop', total_duration: 1, prompt_eval_count: 26, eval_count: 290 }),
    usage: tokens({ input: 26, output: 290 }),
  },
  {
    provider: 'ollama', family: 'api/chat', mode: 'streamed', contentType: 'application/x-ndjson',
    body: ndjson({ model: 'llama3.2', message: { role: 'assistant', content: 'Hi' }, done: false }, { model: 'llama3.2', message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', prompt_eval_count: 26, eval_count: 2 }),
    usage: tokens({ input: 26, output: 2 }),
  },
  {
    provider: 'ollama', family: 'api/embed', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ model: 'all-minilm', embeddings: [[0.01, -0.02]], total_duration: 1, load_duration: 1, prompt_eval_count: 8 }),
    usage: tokens({ input: 8, output: 0 }),
  },
  {
    provider: 'ollama', family: 'api/generate', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ model: 'llama3.2', response: 'Hi', done: true, done_reason: 'stop', context: [1, 2], total_duration: 1, prompt_eval_count: 12, eval_count: 5 }),
    usage: tokens({ input: 12, output: 5 }),
  },
  {
    provider: 'ollama', family: 'api/generate', mode: 'streamed', contentType: 'application/x-ndjson',
    body: ndjson({ model: 'llama3.2', response: 'Hi', done: false }, { model: 'llama3.2', response: '', done: true, done_reason: 'stop', prompt_eval_count: 12, eval_count: 5 }),
    usage: tokens({ input: 12, output: 5 }),
  },
  {
    provider: 'ollama', family: 'v1/chat/completions', mode: 'streamed', contentType: SSE,
    body: sse({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'Hi' } }] }, { id: 'c', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 } }, '[DONE]'),
    usage: tokens({ input: 7, output: 2 }),
  },
  // vLLM: OpenAI-compatible, and its pooling, classify, score and rerank answers
  {
    provider: 'hosted_vllm', family: 'chat', mode: 'streamed', contentType: SSE,
    body: sse({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { reasoning_content: 'hmm' } }] }, { id: 'c', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 20, total_tokens: 50, completion_tokens: 30, prompt_tokens_details: null } }, '[DONE]'),
    usage: tokens({ input: 20, output: 30 }),
  },
  {
    provider: 'hosted_vllm', family: 'chat', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ id: 'chatcmpl-1', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'Hi', reasoning_content: 'hmm' } }], usage: { prompt_tokens: 20, total_tokens: 50, completion_tokens: 30, prompt_tokens_details: { cached_tokens: 16 } } }),
    usage: tokens({ input: 20, output: 30, cacheRead: 16 }),
  },
  {
    provider: 'hosted_vllm', family: 'completions', mode: 'streamed', contentType: SSE,
    body: sse({ id: 'cmpl-1', object: 'text_completion', choices: [{ index: 0, text: 'x' }], usage: null }, { id: 'cmpl-1', object: 'text_completion', choices: [], usage: { prompt_tokens: 3, total_tokens: 5, completion_tokens: 2 } }, '[DONE]'),
    usage: tokens({ input: 3, output: 2 }),
  },
  {
    provider: 'hosted_vllm', family: 'responses', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ id: 'resp_1', object: 'response', status: 'completed', output: [], usage: { input_tokens: 18, input_tokens_details: { cached_tokens: 0 }, output_tokens: 7, output_tokens_details: { reasoning_tokens: 2 }, total_tokens: 25 } }),
    usage: tokens({ input: 18, output: 7, cacheRead: 0, reasoning: 2 }),
  },
  {
    provider: 'hosted_vllm', family: 'completions', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ id: 'cmpl-1', object: 'text_completion', choices: [{ index: 0, text: 'x' }], usage: { prompt_tokens: 3, total_tokens: 4, completion_tokens: 1, prompt_tokens_details: null } }),
    usage: tokens({ input: 3, output: 1 }),
  },
  {
    provider: 'hosted_vllm', family: 'embeddings', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ id: 'embd-1', object: 'list', data: [{ index: 0, object: 'embedding', embedding: [0.1] }], usage: { prompt_tokens: 5, total_tokens: 5, completion_tokens: 0, prompt_tokens_details: null } }),
    usage: tokens({ input: 5, output: 0 }),
  },
  {
    provider: 'hosted_vllm', family: 'pooling', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ id: 'pool-1', object: 'list', data: [{ index: 0, object: 'pooling', data: [[0.1]] }], usage: { prompt_tokens: 6, total_tokens: 6, completion_tokens: 0, prompt_tokens_details: null } }),
    usage: tokens({ input: 6, output: 0 }),
  },
  {
    provider: 'hosted_vllm', family: 'classify', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ id: 'classify-1', object: 'list', data: [{ index: 0, label: 'positive', probs: [0.1, 0.9], num_classes: 2 }], usage: { prompt_tokens: 4, total_tokens: 4, completion_tokens: 0, prompt_tokens_details: null } }),
    usage: tokens({ input: 4, output: 0 }),
  },
  {
    provider: 'hosted_vllm', family: 'score', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ id: 'score-1', object: 'list', data: [{ index: 0, object: 'score', score: 0.8 }], usage: { prompt_tokens: 12, total_tokens: 12, completion_tokens: 0, prompt_tokens_details: null } }),
    usage: tokens({ input: 12, output: 0 }),
  },
  {
    provider: 'hosted_vllm', family: 'rerank', mode: 'buffered', contentType: JSON_TYPE,
    body: j({ id: 'rerank-1', model: 'bge', usage: { total_tokens: 30 }, results: [{ index: 0, relevance_score: 0.9 }] }),
    usage: tokens({ input: 30, output: 0 }),
  },
  // Azure speaks OpenAI's shapes
  {
    provider: 'azure', family: 'chat', mode: 'buffered', contentType: 'application/json; charset=utf-8',
    body: j({ id: 'c', object: 'chat.completion', choices: [], usage: { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 } }),
    usage: tokens({ input: 2, output: 3 }),
  },
  {
    provider: 'azure', family: 'chat', mode: 'streamed', contentType: SSE,
    // Azure sends a first chunk with no choices (prompt filter results) before the deltas.
    body: sse({ id: '', object: '', choices: [], prompt_filter_results: [{ prompt_index: 0, content_filter_results: {} }] }, { id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'Hi' } }], usage: null }, { id: 'c', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 6, completion_tokens: 2, total_tokens: 8 } }, '[DONE]'),
    usage: tokens({ input: 6, output: 2 }),
  },
];

/** The hosted OpenAI-compatible entries (Groq, Mistral, ...): OpenAI's goldens, read through each entry's own reader. */
const OPENAI_SHAPED = GOLDEN.filter((g) => g.provider === 'openai');

function count(golden: Golden): Usage {
  const reader = findProvider(golden.provider)?.usage;
  if (!reader) throw new Error(`${golden.provider} declares no usage reader`);
  const counter = new UsageCounter(golden.contentType, reader);
  const bytes = Buffer.from(golden.body);
  for (let at = 0; at < bytes.length; at += 7) counter.push(bytes.subarray(at, at + 7));
  return counter.end();
}

describe('usage golden answers', () => {
  it.each(GOLDEN.map((g) => [`${g.provider} ${g.family} ${g.mode}`, g] as const))('%s', (_name, golden) => {
    expect(count(golden)).toEqual(golden.usage);
  });

  it('every entry that speaks OpenAI\'s shapes reads each of them, buffered and streamed', async () => {
    const { listProviders } = await import('../../src/providers/registry.ts');
    const goldenIds = new Set(GOLDEN.map((g) => g.provider));
    const others = listProviders().filter((p) => !goldenIds.has(p.id));
    // Every entry without goldens of its own speaks OpenAI's shapes; a new native API needs goldens above.
    expect(others.filter((p) => p.usage !== findProvider('openai')!.usage).map((p) => p.id)).toEqual([]);
    expect(others.length).toBeGreaterThan(0);
    for (const provider of others) for (const golden of OPENAI_SHAPED) expect(count({ ...golden, provider: provider.id }), `${provider.id} ${golden.family} ${golden.mode}`).toEqual(golden.usage);
  });

  it('every provider entry declares a usage reader', async () => {
    const { listProviders } = await import('../../src/providers/registry.ts');
    expect(listProviders().filter((p) => !p.usage).map((p) => p.id)).toEqual([]);
  });

  it('an error answer or a body that is not JSON reports nothing', () => {
    expect(count({ provider: 'openai', family: '', mode: 'buffered', contentType: JSON_TYPE, body: j({ error: { message: 'bad', type: 'invalid_request_error' } }), usage: tokens({}) })).toEqual(tokens({}));
    expect(count({ provider: 'anthropic', family: '', mode: 'buffered', contentType: 'text/plain', body: 'usage: 5', usage: tokens({}) })).toEqual(tokens({}));
  });
});
