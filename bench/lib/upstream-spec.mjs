// What bench/child/upstream.mjs serves, shared with the clients that check its answers.
export const SSE_EVENTS = 50;
export const SSE_GAP_MS = 5;
export const CLASSIFY_ANSWER = JSON.stringify({
  id: 'classify-bench',
  object: 'list',
  created: 1700000000,
  model: 'papluca/xlm-roberta-base-language-detection',
  data: [{ index: 0, label: 'en', probs: [0.991, 0.004, 0.003, 0.002], num_classes: 4 }],
  usage: { prompt_tokens: 6, total_tokens: 6, completion_tokens: 0 },
});
