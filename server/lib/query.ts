// What a list asks for, parsed: filters by key, sort keys and the page. The management
// API parses Harbor's q, sort, page and page_size into these (api/query.ts); services and
// the SQL modules take them without knowing where they came from.
export type QueryValue = string | number | Date;

export type Filter =
  | { kind: 'exact'; value: QueryValue }
  | { kind: 'fuzzy'; value: string }
  | { kind: 'range'; min?: QueryValue; max?: QueryValue }
  | { kind: 'or'; values: QueryValue[] }
  | { kind: 'and'; values: QueryValue[] };

export interface SortKey {
  key: string;
  descending: boolean;
}

export interface Paging {
  page: number;
  pageSize: number;
  offset: number;
}
