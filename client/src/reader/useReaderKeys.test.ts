import { fireEvent, renderHook } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';

import { useReaderKeys } from './useReaderKeys';

function setup(spaceTurnsPage: boolean) {
  const onForward = vi.fn();
  const onBack = vi.fn();
  renderHook(() => useReaderKeys({ spaceTurnsPage, onForward, onBack }));
  return { onForward, onBack };
}

describe('useReaderKeys', () => {
  it('turns forward with → and j, back with ← and k, and prevents the browser’s own action', () => {
    const { onForward, onBack } = setup(false);
    expect(fireEvent.keyDown(window, { key: 'ArrowRight' })).toBe(false); // default prevented
    fireEvent.keyDown(window, { key: 'j' });
    fireEvent.keyDown(window, { key: 'ArrowLeft' });
    fireEvent.keyDown(window, { key: 'k' });
    expect(onForward).toHaveBeenCalledTimes(2);
    expect(onBack).toHaveBeenCalledTimes(2);
  });

  it('leaves space to the browser in the strip, turns pages with it when paged', () => {
    const strip = setup(false);
    expect(fireEvent.keyDown(window, { key: ' ' })).toBe(true);
    expect(strip.onForward).not.toHaveBeenCalled();
  });

  it('turns pages with space and shift+space when paged', () => {
    const { onForward, onBack } = setup(true);
    fireEvent.keyDown(window, { key: ' ' });
    fireEvent.keyDown(window, { key: ' ', shiftKey: true });
    expect(onForward).toHaveBeenCalledTimes(1);
    expect(onBack).toHaveBeenCalledTimes(1);
  });

  it('ignores keys typed in a field or with a modifier', () => {
    const { onForward } = setup(true);
    const input = document.createElement('input');
    document.body.append(input);
    fireEvent.keyDown(input, { key: 'j' });
    fireEvent.keyDown(window, { key: 'ArrowRight', ctrlKey: true });
    input.remove();
    expect(onForward).not.toHaveBeenCalled();
  });
});
