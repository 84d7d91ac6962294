import { describe, expect, it } from 'vitest';
import { atTurnEnd, flushTurnEnd } from '../../src/accounting/turn-end.ts';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('work done at the end of the turn', () => {
  it('runs after the turn, in order, a task that throws failing only itself', async () => {
    const ran: string[] = [];
    atTurnEnd(() => ran.push('a'));
    atTurnEnd(() => {
      throw new Error('an observer broke');
    });
    atTurnEnd(() => ran.push('c'));
    expect(ran).toEqual([]);
    await nextTurn();
    expect(ran).toEqual(['a', 'c']);
  });

  it('runs a task queued by a task on a later turn, and what is queued at once when flushed', async () => {
    const ran: string[] = [];
    atTurnEnd(() => {
      ran.push('first');
      atTurnEnd(() => ran.push('queued by it'));
    });
    await nextTurn();
    expect(ran).toEqual(['first']);
    flushTurnEnd();
    expect(ran).toEqual(['first', 'queued by it']);
    await nextTurn();
    expect(ran).toEqual(['first', 'queued by it']);
  });
});
