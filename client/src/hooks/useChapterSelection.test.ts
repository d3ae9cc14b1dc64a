import { act, renderHook } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { applyClick, emptySelection, selectAll, selectedInOrder, useChapterSelection, type SelectionState } from './useChapterSelection';

const ids = ['a', 'b', 'c', 'd', 'e', 'f'];

function clicks(...steps: [string, boolean][]): SelectionState {
  return steps.reduce((state, [id, shift]) => applyClick(state, ids, id, shift), emptySelection);
}

const sorted = (s: SelectionState) => selectedInOrder(s, ids);

describe('applyClick', () => {
  it('toggles a single item on a plain click', () => {
    expect(sorted(clicks(['b', false]))).toEqual(['b']);
    expect(sorted(clicks(['b', false], ['b', false]))).toEqual([]);
  });

  it('selects the range from the anchor to a shift-clicked item, both included', () => {
    expect(sorted(clicks(['b', false], ['e', true]))).toEqual(['b', 'c', 'd', 'e']);
  });

  it('selects upwards as well', () => {
    expect(sorted(clicks(['e', false], ['b', true]))).toEqual(['b', 'c', 'd', 'e']);
  });

  it('clears the range when the shift-clicked item was selected', () => {
    const state = applyClick(selectAll(ids), ids, 'b', false); // b off, anchor b
    const next = applyClick(applyClick(state, ids, 'b', false), ids, 'e', true); // b on; e on → clear b..e
    expect(sorted(next)).toEqual(['a', 'f']);
  });

  it('treats a shift-click without an anchor as a plain click', () => {
    expect(sorted(clicks(['d', true]))).toEqual(['d']);
  });

  it('chains ranges from the last clicked item', () => {
    expect(sorted(clicks(['a', false], ['b', true], ['d', false], ['f', true]))).toEqual(['a', 'b', 'd', 'e', 'f']);
  });

  it('does not mutate the previous state', () => {
    const before = clicks(['a', false]);
    applyClick(before, ids, 'c', true);
    expect(sorted(before)).toEqual(['a']);
  });

  it('ignores an anchor that is no longer listed', () => {
    const state: SelectionState = { selected: new Set(['gone']), anchor: 'gone' };
    const next = applyClick(state, ids, 'c', true);
    expect(selectedInOrder(next, ids)).toEqual(['c']);
  });
});

describe('useChapterSelection', () => {
  it('selects all, counts and clears', () => {
    const { result } = renderHook(() => useChapterSelection(ids));
    act(() => result.current.selectAll());
    expect(result.current.count).toBe(6);
    act(() => result.current.click('c', false));
    expect(result.current.selectedIds).toEqual(['a', 'b', 'd', 'e', 'f']);
    act(() => result.current.clear());
    expect(result.current.count).toBe(0);
  });
});
