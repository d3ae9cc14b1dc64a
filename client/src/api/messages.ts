/**
 * The server's error texts in the reader's words. The server names the part that failed
 * ("Consumet answered 500: …", "page 3: HTTP 404 (after 5 attempts)"); people need to know what
 * it means for them ("the source is not answering"). What the source itself said is kept, in
 * quotes, because it is often the only useful hint. Texts we do not know pass through as is.
 */

interface Rule {
  pattern: RegExp;
  say: (match: RegExpMatchArray) => string;
}

function saidBySource(hint: string | undefined): string {
  const text = hint?.trim();
  return text ? ` The source said: “${text}”` : '';
}

const RULES: Rule[] = [
  {
    pattern: /^Consumet answered (?:429|5\d\d)(?::\s*(.*))?$/s,
    say: (m) => `The source is not answering right now; try again in a minute.${saidBySource(m[1])}`,
  },
  {
    pattern: /^Consumet answered 404(?::\s*(.*))?$/s,
    say: (m) => `The source does not know this title or chapter.${saidBySource(m[1])}`,
  },
  {
    pattern: /^Consumet answered (\d{3})(?::\s*(.*))?$/s,
    say: (m) => `The source refused the request (HTTP ${m[1] ?? ''}).${saidBySource(m[2])}`,
  },
  { pattern: /^Consumet (?:timed out|unreachable\b.*)$/s, say: () => 'The source is not answering; try again later.' },
  {
    pattern: /^Consumet .*(?:not JSON|answer (?:is|has)\b.*)$/s,
    say: () => 'The source sent an answer that could not be read; try again later.',
  },
  {
    pattern: /^(?:the source returned no pages for this chapter|no pages \(chapter is empty, external or blocked at the source\))$/s,
    say: () => 'This chapter has no pages on this source: it is probably on the publisher’s site.',
  },
  { pattern: /^could not list pages: (.*)$/s, say: (m) => `Could not list the pages: ${upstreamMessage(m[1] ?? '')}` },
  { pattern: /^page (\d+): (.*)$/s, say: (m) => `Page ${m[1] ?? ''}: ${imageReason(m[2] ?? '')}` },
  { pattern: /^the image host did not answer within (.*)$/s, say: (m) => `The image server did not answer within ${m[1] ?? ''}.` },
];

const IMAGE_RULES: Rule[] = [
  { pattern: /^HTTP 404\b(.*)$/s, say: (m) => `missing on the image server (HTTP 404${m[1] ?? ''})` },
  { pattern: /^HTTP 403\b(.*)$/s, say: (m) => `the image server refused it (HTTP 403${m[1] ?? ''})` },
  { pattern: /^HTTP (5\d\d|429)\b(.*)$/s, say: (m) => `the image server is not answering (HTTP ${m[1] ?? ''}${m[2] ?? ''})` },
  { pattern: /^timed out\b(.*)$/s, say: (m) => `the image server did not answer in time${m[1] ?? ''}` },
  { pattern: /^network error\b.*$/s, say: () => 'the image server could not be reached' },
];

function apply(rules: Rule[], text: string): string | null {
  for (const rule of rules) {
    const match = text.match(rule.pattern);
    if (match) return rule.say(match);
  }
  return null;
}

function imageReason(text: string): string {
  return apply(IMAGE_RULES, text.trim()) ?? text;
}

/** A server error text (a `detail`, a job's `error`, a failed chapter's `reason`) for people. */
export function upstreamMessage(text: string): string {
  const trimmed = text.trim();
  return apply(RULES, trimmed) ?? trimmed;
}
