/** One figure of a benchmark, its target and graphile-worker's figure, as `npm run bench` prints them. */
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  /** The figure must be `op` this value. */
  target?: { op: "<=" | ">="; value: number };
  /** graphile-worker's figure for the same job in the same run. */
  peer?: number;
  /** Ours must also be no worse than the peer's figure. */
  beatPeer?: boolean;
  note?: string;
}

/** Whether a row meets its target (and, when asked, the peer's figure). */
export function passes(row: BenchRow): boolean {
  if (!Number.isFinite(row.value)) return false;
  const better = (a: number, b: number) => (row.target?.op === "<=" ? a <= b : a >= b);
  if (row.target && !better(row.value, row.target.value)) return false;
  if (row.beatPeer && row.peer !== undefined && Number.isFinite(row.peer))
    return better(row.value, row.peer);
  return true;
}

function figure(value: number | undefined): string {
  if (value === undefined) return "";
  if (!Number.isFinite(value)) return "n/a";
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString("en-US");
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(3).replace(/\.?0+$/, "") || "0";
}

/** The table: figure, target, peer, ours ÷ peer, and a ✗ on every row that misses. */
export function formatTable(rows: readonly BenchRow[]): string {
  const header = ["", "benchmark", "ours", "unit", "target", "peer", "ours/peer"];
  const lines = rows.map((r) => [
    passes(r) ? "✓" : "✗",
    r.name,
    figure(r.value),
    r.unit,
    r.target ? `${r.target.op} ${figure(r.target.value)}` : "",
    figure(r.peer),
    r.peer && Number.isFinite(r.peer) && r.peer !== 0 ? (r.value / r.peer).toFixed(2) : "",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? "").length)));
  const row = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 1 || i === 3 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join(" | ")} |`;
  const notes = rows.filter((r) => r.note).map((r) => `- ${r.name}: ${r.note}`);
  return [
    row(header),
    `|${widths.map((w, i) => (i === 1 || i === 3 ? `:${"-".repeat(w + 1)}` : `${"-".repeat(w + 1)}:`)).join("|")}|`,
    ...lines.map(row),
    ...(notes.length ? ["", ...notes] : []),
  ].join("\n");
}

/** Percentile (0–100) of unsorted values, nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** `value` rounded to `digits` decimals. */
export function round(value: number, digits: number): number {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
}

/** "1 run", "3 runs". */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? "" : "s"}`;
}
