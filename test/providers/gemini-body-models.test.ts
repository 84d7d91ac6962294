// Gemini repeats the path's model in some bodies; with an alias in the path, those copies name the upstream model.
import { describe, expect, it } from 'vitest';
import { findProvider } from '../../src/providers/registry.ts';

const swap = (json: unknown) => findProvider('gemini')!.replaceBodyModels!(json, 'team-embed', 'text-embedding-004');

describe('gemini: the body\'s copies of a path alias', () => {
  it('batchEmbedContents requests[].model, countTokens generateContentRequest.model, batchGenerateContent batch.model', () => {
    expect(swap({ requests: [{ model: 'models/team-embed', content: { parts: [{ text: 'a' }] } }, { model: 'team-embed' }] })).toEqual({
      requests: [{ model: 'models/text-embedding-004', content: { parts: [{ text: 'a' }] } }, { model: 'models/text-embedding-004' }],
    });
    expect(swap({ generateContentRequest: { model: 'models/team-embed', contents: [] } })).toEqual({ generateContentRequest: { model: 'models/text-embedding-004', contents: [] } });
    expect(swap({ batch: { model: 'models/team-embed' } })).toEqual({ batch: { model: 'models/text-embedding-004' } });
  });

  it('leaves other models, other shapes and the caller\'s object alone', () => {
    const sent = { requests: [{ model: 'models/other' }], model: 'models/team-embed' };
    expect(swap(sent)).toEqual({ requests: [{ model: 'models/other' }], model: 'models/text-embedding-004' });
    expect(sent.model).toBe('models/team-embed');
    expect(swap([1, 2])).toEqual([1, 2]);
    expect(swap('text')).toBe('text');
  });
});
