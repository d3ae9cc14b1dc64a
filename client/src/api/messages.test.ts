import { describe, expect, it } from 'vitest';

import { ApiError, errorText, isRetryable } from './client';
import { upstreamMessage } from './messages';

describe('upstreamMessage', () => {
  it('says what a Consumet failure means and keeps what the source said', () => {
    expect(upstreamMessage('Consumet answered 500: Something went wrong. Please try again later.')).toBe(
      'The source is not answering right now; try again in a minute. The source said: “Something went wrong. Please try again later.”',
    );
    expect(upstreamMessage('Consumet answered 503')).toBe('The source is not answering right now; try again in a minute.');
    expect(upstreamMessage('Consumet timed out')).toBe('The source is not answering; try again later.');
    expect(upstreamMessage('Consumet unreachable: ConnectError')).toBe('The source is not answering; try again later.');
    expect(upstreamMessage('Consumet answered 404: Page not found')).toBe(
      'The source does not know this title or chapter. The source said: “Page not found”',
    );
  });

  it('explains chapter and page failures', () => {
    expect(upstreamMessage('no pages (chapter is empty, external or blocked at the source)')).toBe(
      'This chapter has no pages on this source: it is probably on the publisher’s site.',
    );
    expect(upstreamMessage('page 3: HTTP 404 (after 5 attempts)')).toBe('Page 3: missing on the image server (HTTP 404 (after 5 attempts))');
    expect(upstreamMessage('page 7: timed out (after 5 attempts)')).toBe('Page 7: the image server did not answer in time (after 5 attempts)');
    expect(upstreamMessage('could not list pages: Consumet answered 500')).toBe(
      'Could not list the pages: The source is not answering right now; try again in a minute.',
    );
  });

  it('passes texts it does not know through', () => {
    expect(upstreamMessage('disk full: no space left in the download folder')).toBe('disk full: no space left in the download folder');
  });
});

describe('errorText and isRetryable', () => {
  it('words API errors for people and offers a retry only where it can help', () => {
    const upstream = new ApiError(502, 'Consumet answered 500: busy');
    expect(errorText(upstream)).toContain('The source is not answering right now');
    expect(isRetryable(upstream)).toBe(true);
    expect(isRetryable(new ApiError(0, 'Cannot reach the server'))).toBe(true);
    expect(isRetryable(new ApiError(404, 'unknown provider'))).toBe(false);
    expect(isRetryable(new ApiError(422, 'q: too long'))).toBe(false);
  });
});
