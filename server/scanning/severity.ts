// Vulnerability severities as the scanner adapter API names them, weakest first. Harbor's
// project setting names them in lower case and adds "none" below all of them.
export const severities = ['Unknown', 'Negligible', 'Low', 'Medium', 'High', 'Critical'] as const;
export type Severity = (typeof severities)[number];

/** The project setting `severity`: the weakest severity that the pull gate refuses. */
export const gateSeverities = ['none', 'unknown', 'negligible', 'low', 'medium', 'high', 'critical'] as const;
export type GateSeverity = (typeof gateSeverities)[number];

/** Rank of a severity from a report (anything unrecognised counts as Unknown, as the spec says). */
export function severityRank(s: string | null | undefined): number {
  const i = severities.indexOf(s as Severity);
  return Math.max(i, 0);
}

/** Rank of a gate setting on the same scale; "none" is below Unknown, so it refuses any finding. */
export function gateRank(s: GateSeverity): number {
  return s === 'none' ? -1 : severityRank(s[0].toUpperCase() + s.slice(1));
}

export function isGateSeverity(v: unknown): v is GateSeverity {
  return typeof v === 'string' && (gateSeverities as readonly string[]).includes(v);
}

/** The report's name for a gate setting, as messages show it. */
export function gateLabel(s: GateSeverity): string {
  return s[0].toUpperCase() + s.slice(1);
}
