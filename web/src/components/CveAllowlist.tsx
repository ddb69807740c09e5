// The CVE allowlist fields that the system's editor and a project's settings share: CVE ids
// one per line and the day the list stops counting, with the conversion to and from the
// API's {items: [{cve_id}], expires_at (Unix seconds, null never)}.
import type { CveAllowlistView } from '@berth/api-types';
import { useId } from 'react';

export interface AllowlistDraft {
  /** CVE ids as typed: one per line (commas separate too). */
  text: string;
  /** A date input's value (YYYY-MM-DD, local), '' for never. */
  expires: string;
}

// The server's rule for an id (scanning/allowlists.ts).
const cveRe = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

const pad = (n: number) => String(n).padStart(2, '0');

/** The local day of a Unix time, as a date input holds it. */
function dayOf(seconds: number): string {
  const d = new Date(seconds * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

export function draftOf(stored: CveAllowlistView | undefined): AllowlistDraft {
  return { text: (stored?.items ?? []).map((i) => i.cve_id).join('\n'), expires: stored?.expires_at ? dayOf(stored.expires_at) : '' };
}

export function idsOf(d: AllowlistDraft): string[] {
  return [
    ...new Set(
      d.text
        .split(/[\n,]/)
        .map((id) => id.trim())
        .filter(Boolean),
    ),
  ];
}

export function badIdsOf(d: AllowlistDraft): string[] {
  return idsOf(d).filter((id) => !cveRe.test(id));
}

/** The API's body; an unchanged day keeps the stored time (set to the second through the API, perhaps). */
export function allowlistBody(d: AllowlistDraft, stored?: CveAllowlistView): { items: Array<{ cve_id: string }>; expires_at: number | null } {
  const expiresAt = !d.expires
    ? null
    : stored?.expires_at && dayOf(stored.expires_at) === d.expires
      ? stored.expires_at
      : Math.floor(new Date(`${d.expires}T00:00:00`).getTime() / 1000);
  return { items: idsOf(d).map((cve_id) => ({ cve_id })), expires_at: expiresAt };
}

/** Whether the stored list has passed its expiry (it then exempts nothing). */
export function expired(stored: CveAllowlistView | undefined): boolean {
  return !!stored?.expires_at && stored.expires_at * 1000 <= Date.now();
}

export function AllowlistFields({
  value,
  onChange,
  disabled,
  label = 'CVE ids, one per line',
}: {
  value: AllowlistDraft;
  onChange: (d: AllowlistDraft) => void;
  disabled?: boolean;
  label?: string;
}) {
  const hint = useId();
  const bad = badIdsOf(value);
  return (
    <>
      <label>
        {label}
        <textarea
          rows={5}
          spellCheck={false}
          placeholder="CVE-2024-3094"
          value={value.text}
          disabled={disabled}
          aria-invalid={bad.length > 0}
          aria-describedby={bad.length ? hint : undefined}
          onChange={(e) => onChange({ ...value, text: e.target.value })}
        />
      </label>
      {bad.length > 0 && (
        <p id={hint} className="hint bad">
          Not a CVE id: {bad.slice(0, 5).join(', ')}
          {bad.length > 5 ? ', …' : ''}
        </p>
      )}
      <label>
        Expires on (empty: never)
        <input type="date" className="narrow" value={value.expires} disabled={disabled} onChange={(e) => onChange({ ...value, expires: e.target.value })} />
      </label>
    </>
  );
}
