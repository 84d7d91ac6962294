import type { StreamDelta, StreamTextReader } from './types.ts';

// Where each API's streamed events carry text, reasoning and tool calls (usage is usage-readers.ts'). Providers declare theirs in their
// entry (`streamText`); these are the shapes the APIs share (OpenAI's is spoken by vLLM, Azure and many more).

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const obj = (value: unknown): Json => (isObject(value) ? value : {});

/** Drops the keys left undefined, so an event that adds nothing is `{}`. */
function delta(parts: StreamDelta): StreamDelta {
  const out: StreamDelta = {};
  if (parts.text) out.text = parts.text;
  if (parts.reasoning) out.reasoning = parts.reasoning;
  if (parts.tool && (parts.tool.name !== undefined || parts.tool.args)) out.tool = parts.tool;
  return out;
}

/** OpenAI's Responses API: typed events (`response.output_text.delta`, ...). */
function openAiResponses(data: Json): StreamDelta {
  const type = str(data.type) ?? '';
  if (type === 'response.output_text.delta' || type === 'response.refusal.delta') return delta({ text: str(data.delta) });
  if (type.startsWith('response.reasoning') && type.endsWith('.delta')) return delta({ reasoning: str(data.delta) });
  if (type === 'response.output_item.added' && obj(data.item).type === 'function_call') {
    return delta({ tool: { key: String(data.output_index ?? obj(data.item).id), name: str(obj(data.item).name) ?? '' } });
  }
  if (type === 'response.function_call_arguments.delta') return delta({ tool: { key: String(data.output_index ?? data.item_id), args: str(data.delta) } });
  return {};
}

/** OpenAI chat completions and completions chunks (and the Responses API's events), as vLLM and most servers send them. */
export const openAiStreamText: StreamTextReader = (data) => {
  if (!isObject(data)) return undefined;
  if (typeof data.type === 'string' && data.type.startsWith('response.')) return openAiResponses(data);
  if (!Array.isArray(data.choices) && !isObject(data.usage)) return undefined;
  const parts: StreamDelta = {};
  const choice = obj((data.choices as unknown[] | undefined)?.[0]);
  if (typeof choice.text === 'string') parts.text = choice.text;
  const d = obj(choice.delta);
  if (typeof d.content === 'string') parts.text = d.content;
  parts.reasoning = str(d.reasoning_content) ?? str(d.reasoning);
  const call = obj((d.tool_calls as unknown[] | undefined)?.[0]);
  if (Object.keys(call).length) parts.tool = { key: String(call.index ?? 0), name: str(obj(call.function).name), args: str(obj(call.function).arguments) };
  return delta(parts);
};

/** Anthropic's messages stream (also inside Bedrock's invoke-with-response-stream for Claude). */
export const anthropicStreamText: StreamTextReader = (data) => {
  if (!isObject(data) || typeof data.type !== 'string') return undefined;
  const key = String(data.index ?? 0);
  switch (data.type) {
    case 'content_block_delta': {
      const d = obj(data.delta);
      if (d.type === 'text_delta') return delta({ text: str(d.text) });
      if (d.type === 'thinking_delta') return delta({ reasoning: str(d.thinking) });
      if (d.type === 'input_json_delta') return delta({ tool: { key, args: str(d.partial_json) } });
      return {};
    }
    case 'content_block_start': {
      const block = obj(data.content_block);
      return block.type === 'tool_use' || block.type === 'server_tool_use' ? delta({ tool: { key, name: str(block.name) ?? '' } }) : {};
    }
    case 'message_start':
    case 'message_delta':
    case 'message_stop':
    case 'content_block_stop':
    case 'ping':
    case 'error':
      return {};
    default:
      return undefined;
  }
};

/** Gemini's `streamGenerateContent` (AI Studio and Vertex): candidates' parts, `thought` parts apart. */
export const geminiStreamText: StreamTextReader = (data) => {
  const chunk = Array.isArray(data) ? data[0] : data; // without alt=sse the answer is one JSON array
  if (!isObject(chunk) || (!Array.isArray(chunk.candidates) && !isObject(chunk.usageMetadata))) return undefined;
  const parts: StreamDelta = { text: '', reasoning: '' };
  const content = obj(obj((chunk.candidates as unknown[] | undefined)?.[0]).content);
  for (const part of Array.isArray(content.parts) ? (content.parts as unknown[]) : []) {
    const p = obj(part);
    if (typeof p.text === 'string') {
      if (p.thought === true) parts.reasoning += p.text;
      else parts.text += p.text;
    }
    if (isObject(p.functionCall)) parts.tool = { key: str(p.functionCall.id) ?? str(p.functionCall.name) ?? '0', name: str(p.functionCall.name) ?? '', args: JSON.stringify(p.functionCall.args ?? {}) };
  }
  return delta(parts);
};

/** Cohere's v2 chat stream: typed events with the message's pieces under `delta.message`. */
export const cohereStreamText: StreamTextReader = (data) => {
  if (!isObject(data) || typeof data.type !== 'string') return undefined;
  const message = obj(obj(data.delta).message);
  const key = String(data.index ?? 0);
  switch (data.type) {
    case 'content-delta': {
      const content = obj(message.content);
      return delta({ text: str(content.text), reasoning: str(content.thinking) });
    }
    case 'tool-call-start': {
      const fn = obj(obj(message.tool_calls).function);
      return delta({ tool: { key, name: str(fn.name) ?? '', args: str(fn.arguments) } });
    }
    case 'tool-call-delta':
      return delta({ tool: { key, args: str(obj(obj(message.tool_calls).function).arguments) } });
    default:
      return data.type.includes('-') ? {} : undefined;
  }
};

/** Ollama's native NDJSON (`/api/chat`, `/api/generate`); its `/v1` routes are OpenAI's. */
export const ollamaStreamText: StreamTextReader = (data) => {
  if (!isObject(data)) return undefined;
  if (Array.isArray(data.choices) || (typeof data.type === 'string' && data.type.startsWith('response.'))) return openAiStreamText(data, undefined);
  if (!('done' in data)) return undefined;
  const message = obj(data.message);
  const parts: StreamDelta = { text: str(message.content) ?? str(data.response), reasoning: str(message.thinking) ?? str(data.thinking) };
  const call = obj((message.tool_calls as unknown[] | undefined)?.[0]);
  if (isObject(call.function)) parts.tool = { key: String(call.function.index ?? 0), name: str(call.function.name) ?? '', args: JSON.stringify(call.function.arguments ?? {}) };
  return delta(parts);
};

/** Text fields of the other model families' invoke streams on Bedrock (Titan, Llama, Mistral, Cohere). */
function bedrockNativeText(data: Json): StreamDelta | undefined {
  const text = str(data.outputText) ?? str(data.generation) ?? str(data.completion) ?? str(obj((data.outputs as unknown[] | undefined)?.[0]).text);
  if (text === undefined) return undefined;
  return delta({ text });
}

/**
 * Bedrock: `converse-stream` events by type (contentBlockDelta, metadata, ...), and `invoke-with-response-stream`
 * chunks, whose `bytes` (base64) hold the model family's own event (Claude's is Anthropic's).
 */
export const bedrockStreamText: StreamTextReader = (data, eventType) => {
  if (!isObject(data)) return undefined;
  if (eventType === 'chunk' || typeof data.bytes === 'string') {
    let inner: unknown;
    try {
      inner = JSON.parse(Buffer.from(String(data.bytes), 'base64').toString('utf8'));
    } catch {
      return undefined;
    }
    return anthropicStreamText(inner, undefined) ?? (isObject(inner) ? bedrockNativeText(inner) : undefined);
  }
  const key = String(data.contentBlockIndex ?? 0);
  switch (eventType) {
    case 'contentBlockDelta': {
      const d = obj(data.delta);
      const tool = obj(d.toolUse);
      return delta({ text: str(d.text), reasoning: str(obj(d.reasoningContent).text), tool: 'input' in tool ? { key, args: str(tool.input) } : undefined });
    }
    case 'contentBlockStart': {
      const tool = obj(obj(data.start).toolUse);
      return delta({ tool: 'name' in tool ? { key, name: str(tool.name) ?? '' } : undefined });
    }
    case 'metadata':
    case 'messageStart':
    case 'messageStop':
    case 'contentBlockStop':
      return {};
    default:
      return undefined;
  }
};
