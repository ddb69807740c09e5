// The doublestar selector fields that immutability and retention rules share: which
// repositories (by name within the project) and which tags a rule applies to.
export interface RepositorySelector {
  decoration: 'repoMatches' | 'repoExcludes';
  pattern: string;
}

export interface TagSelector {
  decoration: 'matches' | 'excludes';
  pattern: string;
}

export function RepositorySelectorFields({ value, onChange }: { value: RepositorySelector; onChange: (v: RepositorySelector) => void }) {
  return (
    <>
      <label>
        Repositories
        <select value={value.decoration} onChange={(e) => onChange({ ...value, decoration: e.target.value as RepositorySelector['decoration'] })}>
          <option value="repoMatches">matching</option>
          <option value="repoExcludes">excluding</option>
        </select>
      </label>
      <label>
        Repository pattern
        <input value={value.pattern} onChange={(e) => onChange({ ...value, pattern: e.target.value.trim() })} placeholder="**" />
      </label>
    </>
  );
}

export function TagSelectorFields({ value, onChange }: { value: TagSelector; onChange: (v: TagSelector) => void }) {
  return (
    <>
      <label>
        Tags
        <select value={value.decoration} onChange={(e) => onChange({ ...value, decoration: e.target.value as TagSelector['decoration'] })}>
          <option value="matches">matching</option>
          <option value="excludes">excluding</option>
        </select>
      </label>
      <label>
        Tag pattern
        <input value={value.pattern} onChange={(e) => onChange({ ...value, pattern: e.target.value.trim() })} placeholder="v*" />
      </label>
    </>
  );
}
