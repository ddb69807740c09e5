// Harbor's doublestar selectors, shared by immutability and retention rules: a glob over a
// tag, or over a repository's name within its project.
import picomatch from 'picomatch';

/** Harbor matches the repository's name within its project (`app`, not `team/app`). */
export function repositoryWithinProject(repository: string): string {
  const slash = repository.indexOf('/');
  return slash < 0 ? repository : repository.slice(slash + 1);
}

const matchers = new Map<string, (s: string) => boolean>();

export function glob(pattern: string): (s: string) => boolean {
  let m = matchers.get(pattern);
  if (!m) {
    const isMatch = picomatch(pattern, { dot: true });
    m = (s: string) => isMatch(s);
    if (matchers.size > 10_000) matchers.clear();
    matchers.set(pattern, m);
  }
  return m;
}

/** Whether the pattern is one picomatch can compile (a rule's input check). */
export function isGlob(pattern: string): boolean {
  try {
    picomatch(pattern);
    return true;
  } catch {
    return false;
  }
}
