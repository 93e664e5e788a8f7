const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Parses "90", "90s", "30m", "8h" or "7d" into seconds; undefined when malformed. */
export function parseDurationSec(value: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$/i.exec(value);
  if (!match) return undefined;
  const unit = UNITS[(match[2] || 's').toLowerCase()] ?? 1;
  return Math.round(Number(match[1]) * unit);
}
