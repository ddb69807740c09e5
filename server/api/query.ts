// Listing parameters of the management API, as Harbor reads them: `q` filters
// (goharbor/harbor src/lib/q/builder.go), `sort`, and `page`/`page_size` with the
// X-Total-Count and Link headers (src/server/v2.0/handler/base.go). Each list endpoint
// passes the keys it allows; anything else is a 400, so a filter or sort key never
// reaches SQL unless it was named in code.
import { DomainError } from '../lib/errors.js';
import type { Filter, Paging, QueryValue, SortKey } from '../lib/query.js';

// Harbor parses list and range items as a time ("2006-01-02T15:04:05", UTC), then an
// integer, else a string with surrounding quotes trimmed.
function parseValue(raw: string): QueryValue {
  const v = raw.trim();
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/.test(v)) {
    const d = new Date(`${v}Z`);
    if (!Number.isNaN(d.getTime())) return d;
  }
  if (/^[+-]?\d+$/.test(v) && Number.isSafeInteger(Number(v))) return Number(v);
  return v.replace(/^["']+|["']+$/g, '');
}

function parsePattern(value: string): Filter {
  switch (value[0]) {
    case '~':
      if (value.length < 2) throw new Error('fuzzy match value must start with "~" and contain at least 1 other character');
      return { kind: 'fuzzy', value: value.slice(1) };
    case '[': {
      if (!value.endsWith(']') || value.split('~').length !== 2) throw new Error('range must start with "[", end with "]" and contain exactly one "~"');
      const [min, max] = value
        .slice(1, -1)
        .split('~')
        .map((s) => s.trim());
      if (!min && !max) throw new Error('a range needs a minimum or a maximum');
      return { kind: 'range', ...(min ? { min: parseValue(min) } : {}), ...(max ? { max: parseValue(max) } : {}) };
    }
    case '{':
    case '(': {
      const close = value[0] === '{' ? '}' : ')';
      if (!value.endsWith(close)) throw new Error(`a list must start with "${value[0]}" and end with "${close}"`);
      const values = value
        .slice(1, -1)
        .split(' ')
        .map(parseValue)
        .filter((v) => v !== '');
      return { kind: value[0] === '{' ? 'or' : 'and', values };
    }
    default:
      // A leading backslash escapes a special first character.
      return { kind: 'exact', value: value.startsWith('\\') ? value.slice(1) : value };
  }
}

/** Parses `q` (as harborQ in listing.ts reads it, decoded twice) into filters on the allowed keys. */
export function parseQuery(q: string | undefined, allowedKeys: readonly string[]): Map<string, Filter> {
  const filters = new Map<string, Filter>();
  if (!q) return filters;
  for (const term of q.split(',')) {
    const eq = term.indexOf('=');
    const key = eq > 0 ? term.slice(0, eq) : '';
    const value = eq > 0 ? term.slice(eq + 1) : '';
    if (!key || !value) throw new DomainError('INVALID', 'the query string must contain "=" and the key/value cannot be empty');
    if (!allowedKeys.includes(key)) throw new DomainError('INVALID', `cannot filter by ${JSON.stringify(key)}; allowed: ${allowedKeys.join(', ')}`);
    try {
      filters.set(key, parsePattern(value));
    } catch (err) {
      throw new DomainError('INVALID', `invalid query string value: ${value} (${(err as Error).message})`);
    }
  }
  return filters;
}

/** `sort=name,-creation_time`; only allowed keys. */
export function parseSort(sort: string | undefined, allowedKeys: readonly string[]): SortKey[] {
  if (!sort) return [];
  return sort.split(',').map((part) => {
    const descending = part.startsWith('-');
    const key = descending ? part.slice(1) : part;
    if (!allowedKeys.includes(key)) throw new DomainError('INVALID', `cannot sort by ${JSON.stringify(key)}; allowed: ${allowedKeys.join(', ')}`);
    return { key, descending };
  });
}

export const defaultPageSize = 10;
export const maxPageSize = 100;

// Not a number at all is a malformed request (400); a number out of range is Harbor's 422,
// as its generated validation answers for minimum and maximum.
function positiveInt(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^[+-]?\d+$/.test(raw)) throw new DomainError('INVALID', `${name} must be an integer, got ${JSON.stringify(raw.slice(0, 50))}`);
  if (!/^\+?\d{1,9}$/.test(raw) || Number(raw) < 1) throw new DomainError('UNPROCESSABLE', `${name} must be a positive integer`);
  return Number(raw);
}

export function parsePaging(page: string | undefined, pageSize: string | undefined): Paging {
  const p = positiveInt(page, 'page', 1);
  const size = positiveInt(pageSize, 'page_size', defaultPageSize);
  if (size > maxPageSize) throw new DomainError('UNPROCESSABLE', `page_size must be at most ${maxPageSize}`);
  return { page: p, pageSize: size, offset: (p - 1) * size };
}

/**
 * The Link header for a page: the request's own path and query with page and page_size
 * replaced; "prev" and "next" only where such a page has items; entries joined by " , "
 * as Harbor writes them. Undefined when there is neither.
 */
export function pageLinks(path: string, query: URLSearchParams, paging: Paging, total: number): string | undefined {
  const link = (page: number, rel: string) => {
    const q = new URLSearchParams(query);
    q.set('page', String(page));
    q.set('page_size', String(paging.pageSize));
    return `<${path}?${q.toString()}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (paging.page > 1 && (paging.page - 1) * paging.pageSize < total) links.push(link(paging.page - 1, 'prev'));
  if (paging.page * paging.pageSize < total) links.push(link(paging.page + 1, 'next'));
  return links.length ? links.join(' , ') : undefined;
}
