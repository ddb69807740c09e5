// What a rule replicates and where it lands: Harbor's name and tag filters (doublestar
// globs, matches or excludes) and its destination naming (namespace and flattening), as
// pure functions so the worker and the console's preview give the same answers.
import picomatch from 'picomatch';
import type { PolicyFilter } from '../../server/lib/harborTypes.js';

function matcher(filter: PolicyFilter | undefined): ((s: string) => boolean) | undefined {
  if (!filter) return undefined;
  const isMatch = picomatch(filter.value, { dot: true });
  // Wrapped: picomatch's matcher takes a second argument, which Array.filter would fill.
  return filter.decoration === 'excludes' ? (s) => !isMatch(s) : (s) => isMatch(s);
}

/** Whether a rule's name filter takes this repository (`project/repo…`). */
export function repositorySelected(filters: PolicyFilter[], repository: string): boolean {
  const m = matcher(filters.find((f) => f.type === 'name'));
  return m ? m(repository) : true;
}

/**
 * The tags a rule's tag filter takes. An artifact without tags is selected (by digest)
 * only when the rule has no tag filter or its tag filter excludes: a pattern that must
 * match cannot match a tag that is not there.
 */
export function tagsSelected(filters: PolicyFilter[], tags: string[]): { tags: string[]; untagged: boolean } {
  const filter = filters.find((f) => f.type === 'tag');
  const m = matcher(filter);
  if (!m) return { tags, untagged: true };
  return { tags: tags.filter(m), untagged: filter!.decoration === 'excludes' };
}

export class NamingError extends Error {
  override name = 'NamingError';
}

/**
 * Where a repository lands, Harbor's rules for `dest_namespace` and
 * `dest_namespace_replace_count` (flattening), for a/b/c into namespace n:
 * no namespace keeps a/b/c; -1 gives n/c (all levels flattened); 0 gives n/a/b/c; 1 gives
 * n/b/c; 2 gives n/c; 3 gives n; more levels than the path has is an error.
 */
export function destinationRepository(repository: string, namespace: string, replaceCount: number): string {
  if (!namespace) return repository;
  const parts = repository.split('/');
  if (replaceCount < 0) return `${namespace}/${parts[parts.length - 1]}`;
  if (replaceCount === parts.length) return namespace;
  if (replaceCount > parts.length) {
    throw new NamingError(`repository ${repository} has ${parts.length} path components; the rule flattens ${replaceCount}`);
  }
  return [namespace, ...parts.slice(replaceCount)].join('/');
}
