import { fireEvent, render, screen } from '@testing-library/react';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';

import { DEFAULT_PAGE_OPTIONS, type PageOptions, PageOptionsControl, pageOptionFields } from './PageOptionsControl';

function Harness({ seen }: { seen: PageOptions[] }) {
  const [value, setValue] = useState(DEFAULT_PAGE_OPTIONS);
  return (
    <PageOptionsControl
      value={value}
      onChange={(next) => {
        seen.push(next);
        setValue(next);
      }}
    />
  );
}

describe('PageOptionsControl', () => {
  it('sends nothing for the default, so plain downloads stay byte-exact', () => {
    expect(pageOptionFields(DEFAULT_PAGE_OPTIONS)).toEqual({});
  });

  it('turns split and encode choices into the request fields', () => {
    const seen: PageOptions[] = [];
    render(<Harness seen={seen} />);
    fireEvent.click(screen.getByRole('switch', { name: /split tall pages/i }));
    fireEvent.change(screen.getByRole('spinbutton', { name: /piece height/i }), { target: { value: '1600' } });
    fireEvent.change(screen.getByRole('combobox', { name: /encode/i }), { target: { value: 'webp:80' } });
    const last = seen.at(-1) ?? DEFAULT_PAGE_OPTIONS;
    expect(pageOptionFields(last)).toEqual({ split_tall: { ratio: 3, target_height: 1600 }, encode: 'webp:80' });
    expect(screen.getByText('Page options (changed)')).toBeInTheDocument();
  });
});
