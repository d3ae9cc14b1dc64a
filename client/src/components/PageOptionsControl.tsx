import { useId } from 'react';

import type { DownloadRequest } from '../api/types';

/** What a download does to its pages; the default leaves them byte-exact as the source sent them. */
export interface PageOptions {
  splitTall: boolean;
  targetHeight: number;
  encode: string;
}

export const DEFAULT_PAGE_OPTIONS: PageOptions = { splitTall: false, targetHeight: 2000, encode: 'original' };

const ENCODINGS: { value: string; label: string }[] = [
  { value: 'original', label: 'Original (as the source sent them)' },
  { value: 'jpeg:85', label: 'JPEG, quality 85' },
  { value: 'webp:80', label: 'WebP, quality 80 (smallest)' },
  { value: 'png', label: 'PNG (lossless)' },
];

/** The request fields for `options`: nothing at all for the default, so plain requests stay as they were. */
export function pageOptionFields(options: PageOptions): Pick<DownloadRequest, 'split_tall' | 'encode'> {
  const fields: Pick<DownloadRequest, 'split_tall' | 'encode'> = {};
  if (options.splitTall) fields.split_tall = { ratio: 3, target_height: options.targetHeight };
  if (options.encode !== 'original') fields.encode = options.encode;
  return fields;
}

/** Split tall strips and re-encode: shapes the archive only; the reader keeps showing the source pages. */
export function PageOptionsControl({
  value,
  onChange,
}: {
  value: PageOptions;
  onChange: (next: PageOptions) => void;
}) {
  const id = useId();
  const changed = value.splitTall || value.encode !== 'original';
  return (
    <details className="page-options">
      <summary>Page options{changed ? ' (changed)' : ''}</summary>
      <label>
        <input
          type="checkbox"
          role="switch"
          checked={value.splitTall}
          onChange={(e) => onChange({ ...value, splitTall: e.target.checked })}
        />{' '}
        Split tall pages (taller than 3× their width)
      </label>
      <label htmlFor={`${id}-height`}>
        Piece height (px){' '}
        <input
          id={`${id}-height`}
          type="number"
          min={200}
          max={20000}
          step={100}
          disabled={!value.splitTall}
          value={value.targetHeight}
          onChange={(e) => {
            const height = Number(e.target.value);
            if (Number.isFinite(height)) onChange({ ...value, targetHeight: Math.min(20000, Math.max(200, height)) });
          }}
        />
      </label>
      <label htmlFor={`${id}-encode`}>
        Encode{' '}
        <select id={`${id}-encode`} value={value.encode} onChange={(e) => onChange({ ...value, encode: e.target.value })}>
          {ENCODINGS.map(({ value: v, label }) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
      </label>
    </details>
  );
}
