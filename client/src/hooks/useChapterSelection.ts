import { useCallback, useMemo, useState } from 'react';

export interface SelectionState {
  selected: ReadonlySet<string>;
  /** The last item clicked without losing the range start; shift-click extends from here. */
  anchor: string | null;
}

export const emptySelection: SelectionState = { selected: new Set(), anchor: null };

/**
 * What a click on item `id` does to the selection, given the items in display order.
 *
 * A plain click toggles the item and makes it the anchor. A shift-click gives every item between
 * the anchor and `id` (both included) the state the clicked item takes, i.e. it selects the
 * range when `id` was unselected and clears it when it was selected. Without a usable anchor a
 * shift-click is a plain click.
 */
export function applyClick(
  state: SelectionState,
  orderedIds: readonly string[],
  id: string,
  shiftKey: boolean,
): SelectionState {
  const target = !state.selected.has(id);
  const next = new Set(state.selected);
  const to = orderedIds.indexOf(id);
  const from = state.anchor === null ? -1 : orderedIds.indexOf(state.anchor);
  if (shiftKey && from !== -1 && to !== -1) {
    const [lo, hi] = from <= to ? [from, to] : [to, from];
    for (const rangeId of orderedIds.slice(lo, hi + 1)) {
      if (target) next.add(rangeId);
      else next.delete(rangeId);
    }
  } else if (target) {
    next.add(id);
  } else {
    next.delete(id);
  }
  return { selected: next, anchor: id };
}

export function selectAll(orderedIds: readonly string[]): SelectionState {
  return { selected: new Set(orderedIds), anchor: null };
}

/** Selected ids in the order of `orderedIds`, ignoring ids no longer listed. */
export function selectedInOrder(state: SelectionState, orderedIds: readonly string[]): string[] {
  return orderedIds.filter((id) => state.selected.has(id));
}

/** Checkbox selection over a list with shift-click ranges. */
export function useChapterSelection(orderedIds: readonly string[]) {
  const [state, setState] = useState<SelectionState>(emptySelection);
  const click = useCallback(
    (id: string, shiftKey: boolean) => setState((s) => applyClick(s, orderedIds, id, shiftKey)),
    [orderedIds],
  );
  const all = useCallback(() => setState(selectAll(orderedIds)), [orderedIds]);
  const clear = useCallback(() => setState(emptySelection), []);
  const ids = useMemo(() => selectedInOrder(state, orderedIds), [state, orderedIds]);
  const isSelected = useCallback((id: string) => state.selected.has(id), [state]);
  return { selectedIds: ids, count: ids.length, isSelected, click, selectAll: all, clear };
}
