/**
 * The status page's charts: inline SVG written here, so the page needs no script, no
 * build step and nothing from another site. Each mark carries its value (`data-value`)
 * and a `<title>` a phone shows on a long press.
 */
import { escapeHtml as esc } from "../format.ts";

/** One coloured series; `tone` picks its colour from the page's style sheet. */
export interface Series {
  name: string;
  tone: Tone;
  /** One value per label; null: nothing that day (a gap in a line). */
  values: ReadonlyArray<number | null>;
}

/** The page's colours: good, bad, neutral and five plain ones for lists (commands). */
export type Tone = "ok" | "bad" | "muted" | "c1" | "c2" | "c3" | "c4" | "c5";

/** What a chart draws. */
export interface Chart {
  /** Names the figure (`data-chart`), e.g. `delivery`. */
  id: string;
  title: string;
  /** One per bar or point, left to right: days as `2026-12-02`, or names. */
  labels: readonly string[];
  series: readonly Series[];
  /** After the numbers of the axis and the legend's totals, e.g. ` ms`. */
  unit?: string;
  /** A sentence under the title that says what is counted. */
  note?: string;
  /** What the legend shows after each series' name. Defaults to the series' sum. */
  legend?: "sum" | "last" | "max";
}

const WIDTH = 360;
const HEIGHT = 190;
const LEFT = 40;
const RIGHT = 8;
const TOP = 10;
const BOTTOM = 160;

/** Stacked bars, one per label. */
export function barChart(chart: Chart): string {
  const stacks = chart.labels.map((_, i) =>
    chart.series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0),
  );
  const top = niceMax(Math.max(0, ...stacks));
  const step = (WIDTH - LEFT - RIGHT) / Math.max(1, chart.labels.length);
  const marks: string[] = [];
  chart.labels.forEach((label, i) => {
    let base = 0;
    for (const s of chart.series) {
      const value = s.values[i] ?? 0;
      if (value <= 0) continue;
      const y0 = yOf(base, top);
      const y1 = yOf(base + value, top);
      marks.push(
        `<rect class="mark ${s.tone}" data-series="${esc(s.name)}" data-value="${value}" x="${fmt(LEFT + i * step + step * 0.15)}" y="${fmt(y1)}" width="${fmt(step * 0.7)}" height="${fmt(y0 - y1)}"><title>${esc(label)}: ${esc(s.name)} ${value}${esc(chart.unit ?? "")}</title></rect>`,
      );
      base += value;
    }
  });
  return figure(
    chart,
    top,
    marks,
    stacks.some((v) => v > 0),
  );
}

/** Lines, one per series, with a dot on each value. */
export function lineChart(chart: Chart): string {
  const values = chart.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const top = niceMax(Math.max(0, ...values));
  const step = (WIDTH - LEFT - RIGHT) / Math.max(1, chart.labels.length);
  const xOf = (i: number) => LEFT + i * step + step / 2;
  const marks: string[] = [];
  for (const s of chart.series) {
    let run: string[] = [];
    const flush = () => {
      if (run.length > 1)
        marks.push(`<polyline class="line ${s.tone}" points="${run.join(" ")}"></polyline>`);
      run = [];
    };
    s.values.forEach((value, i) => {
      if (value === null) {
        flush();
        return;
      }
      const [x, y] = [fmt(xOf(i)), fmt(yOf(value, top))];
      run.push(`${x},${y}`);
      marks.push(
        `<circle class="mark ${s.tone}" data-series="${esc(s.name)}" data-value="${value}" cx="${x}" cy="${y}" r="2.5"><title>${esc(chart.labels[i] ?? "")}: ${esc(s.name)} ${value}${esc(chart.unit ?? "")}</title></circle>`,
      );
    });
    flush();
  }
  return figure(chart, top, marks, values.length > 0);
}

function figure(chart: Chart, top: number, marks: string[], hasData: boolean): string {
  const head = `<figure class="chart" data-chart="${esc(chart.id)}"><figcaption><h3>${esc(chart.title)}</h3>${chart.note ? `<p class="note">${esc(chart.note)}</p>` : ""}</figcaption>`;
  if (!hasData)
    return `${head}<p class="empty">Nothing yet in these ${chart.labels.length} days.</p></figure>`;
  const unit = esc(chart.unit ?? "");
  const axis = [
    `<line class="axis" x1="${LEFT}" y1="${BOTTOM}" x2="${WIDTH - RIGHT}" y2="${BOTTOM}"></line>`,
    `<line class="grid" x1="${LEFT}" y1="${fmt(yOf(top / 2, top))}" x2="${WIDTH - RIGHT}" y2="${fmt(yOf(top / 2, top))}"></line>`,
    `<line class="grid" x1="${LEFT}" y1="${TOP}" x2="${WIDTH - RIGHT}" y2="${TOP}"></line>`,
    `<text class="tick" x="${LEFT - 4}" y="${TOP + 4}" text-anchor="end">${short(top)}</text>`,
    `<text class="tick" x="${LEFT - 4}" y="${fmt(yOf(top / 2, top) + 4)}" text-anchor="end">${short(top / 2)}</text>`,
    `<text class="tick" x="${LEFT - 4}" y="${BOTTOM + 4}" text-anchor="end">0</text>`,
    ...xLabels(chart.labels),
  ];
  const svg = `<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${esc(chart.title)}">${axis.join("")}${marks.join("")}</svg>`;
  const legend = chart.series
    .map(
      (s) =>
        `<li><span class="swatch ${s.tone}"></span>${esc(s.name)}: <b>${legendValue(s, chart.legend ?? "sum")}${unit}</b></li>`,
    )
    .join("");
  return `${head}${svg}<ul class="legend">${legend}</ul></figure>`;
}

/** Days: the first and the last under the axis. Names (a few): each under its bar. */
function xLabels(labels: readonly string[]): string[] {
  const first = labels[0] ?? "";
  if (/^\d{4}-\d{2}-\d{2}$/.test(first) || labels.length > 8)
    return [
      `<text class="tick" x="${LEFT}" y="${BOTTOM + 16}">${esc(dayLabel(first))}</text>`,
      `<text class="tick" x="${WIDTH - RIGHT}" y="${BOTTOM + 16}" text-anchor="end">${esc(dayLabel(labels[labels.length - 1] ?? ""))}</text>`,
    ];
  const step = (WIDTH - LEFT - RIGHT) / Math.max(1, labels.length);
  return labels.map(
    (label, i) =>
      `<text class="tick" x="${fmt(LEFT + i * step + step / 2)}" y="${BOTTOM + 16}" text-anchor="middle">${esc(label.replaceAll("_", " "))}</text>`,
  );
}

function legendValue(series: Series, what: "sum" | "last" | "max"): string {
  const values = series.values.filter((v): v is number => v !== null);
  if (values.length === 0) return "–";
  if (what === "last") return short(values[values.length - 1] ?? 0);
  if (what === "max") return short(Math.max(...values));
  return short(values.reduce((a, b) => a + b, 0));
}

function yOf(value: number, top: number): number {
  return BOTTOM - (value / top) * (BOTTOM - TOP);
}

/** The axis' top: the largest value rounded up to 1, 2 or 5 times a power of ten. */
export function niceMax(max: number): number {
  if (max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  const nice = [1, 2, 5, 10].find((m) => m * power >= max) ?? 10;
  return nice * power;
}

/** `2026-12-02` as `Dec 2`; any other label as it is. */
function dayLabel(label: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(label);
  if (!match) return label;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toLocaleDateString("en-GB", { month: "short", day: "numeric", timeZone: "UTC" });
}

function short(value: number): string {
  if (Math.abs(value) >= 10_000) return `${Math.round(value / 1000)}k`;
  return String(Math.round(value * 10) / 10);
}

function fmt(n: number): string {
  return String(Math.round(n * 10) / 10);
}
