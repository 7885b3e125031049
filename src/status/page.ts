/**
 * The status page as HTML: one column for a phone, no script, the charts inline SVG
 * (charts.ts). Every figure comes from {@link StatusData}.
 */
import { escapeHtml as esc } from "../format.ts";
import type { PartHealth } from "../health.ts";
import { barChart, lineChart, type Series, type Tone } from "./charts.ts";
import { CHART_DAYS, type StatusData } from "./queries.ts";

const STYLE = `
*{box-sizing:border-box}body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d232a;background:#f3f5f7}
main{max-width:720px;margin:0 auto;padding:12px}h1{font-size:1.3em;margin:.3em 0}h2{font-size:1.1em;margin:1.2em 0 .4em}h3{font-size:1em;margin:0}
section,figure{background:#fff;border-radius:8px;padding:10px 12px;margin:0 0 12px;box-shadow:0 1px 2px #0001}
.at,.note,.empty{color:#5b6670;font-size:.88em;margin:.2em 0}dl{display:grid;grid-template-columns:auto 1fr;gap:4px 12px;margin:0}dt{color:#5b6670}dd{margin:0}
.good{color:#1b6e2c;font-weight:600}.warn{color:#9a5b00;font-weight:600}.fail{color:#b3261e;font-weight:600}
svg{width:100%;height:auto;display:block;margin:6px 0}.axis{stroke:#8a949c}.grid{stroke:#e3e7ea}.tick{font-size:10px;fill:#5b6670}
polyline.line{fill:none;stroke-width:2}.legend{list-style:none;padding:0;margin:0;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:.9em}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px}
.ok{fill:#2e7d32;stroke:#2e7d32;background:#2e7d32}.bad{fill:#c62828;stroke:#c62828;background:#c62828}.muted{fill:#9aa3aa;stroke:#9aa3aa;background:#9aa3aa}
.c1{fill:#1f6fb2;stroke:#1f6fb2;background:#1f6fb2}.c2{fill:#e08a00;stroke:#e08a00;background:#e08a00}.c3{fill:#7b4fb8;stroke:#7b4fb8;background:#7b4fb8}
.c4{fill:#00897b;stroke:#00897b;background:#00897b}.c5{fill:#8d6e63;stroke:#8d6e63;background:#8d6e63}
table{width:100%;border-collapse:collapse;font-size:.9em}td,th{text-align:left;padding:4px 2px;border-top:1px solid #e3e7ea;vertical-align:top}
form.login{display:flex;flex-direction:column;gap:8px}input,button{font:inherit;padding:10px;border-radius:6px;border:1px solid #8a949c}button{background:#1f6fb2;color:#fff;border:0}
form.logout{margin-top:8px}form.logout button{background:#5b6670;padding:6px 10px}`;

/** A whole page around `body`. */
function layout(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex"><title>${esc(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>`;
}

/** The login form; `message` says why the last try failed. */
export function renderLoginPage(message?: string): string {
  return layout(
    "CompuCar bot status: log in",
    `<h1>CompuCar customer bot</h1><section><form class="login" method="post" action="/status/login"><label for="password">Status page password (STATUS_PASSWORD)</label><input id="password" name="password" type="password" autocomplete="current-password" required autofocus>${message ? `<p class="fail" role="alert">${esc(message)}</p>` : ""}<button type="submit">Log in</button></form></section>`,
  );
}

/** The status page. */
export function renderStatusPage(data: StatusData): string {
  return layout(
    "CompuCar bot status",
    [
      `<h1>CompuCar customer bot</h1><p class="at">As of ${esc(utc(data.at))} (UTC). Charts: the last ${CHART_DAYS} days.</p>`,
      healthSection(data),
      summarySection(data),
      `<h2>Last ${CHART_DAYS} days</h2>`,
      ...charts(data),
      failuresSection(data),
      `<form class="logout" method="post" action="/status/logout"><button type="submit">Log out</button></form>`,
    ].join(""),
  );
}

function healthSection(data: StatusData): string {
  const { controls, stats } = data;
  // The controls part is shown below from telegram.controls itself (stage, pause).
  const rows: Array<[string, string]> = Object.entries(data.health)
    .filter(([part]) => part !== "controls")
    .map(([part, health]) => [part.replaceAll("_", " "), partText(health)]);
  rows.push([
    "triggers",
    data.missing.length === 0
      ? `<span class="good">all present</span>`
      : `<span class="fail">missing: ${esc(data.missing.join(", "))}</span>. Run <code>npm run migrate</code>.`,
  ]);
  const stage =
    controls.rolloutStage === "beta"
      ? `beta (staff, the beta list and ${controls.betaPercent} % of customers)`
      : controls.rolloutStage === "internal"
        ? "internal (staff and the internal list only)"
        : "everyone";
  rows.push(["rollout stage", `<span data-figure="stage">${esc(stage)}</span>`]);
  rows.push([
    "notifications",
    controls.pausedAt
      ? `<span class="warn" data-figure="paused">paused since ${esc(utc(controls.pausedAt))}${controls.pausedReason ? `: ${esc(controls.pausedReason)}` : ""}</span>`
      : `<span class="good" data-figure="paused">running</span>`,
  ]);
  const { waiting, oldestSeconds } = stats.backlog;
  rows.push([
    "backlog",
    `<span class="${waiting > 0 && oldestSeconds > 60 ? "warn" : "good"}" data-figure="backlog">${waiting} waiting</span>${waiting > 0 ? `, the oldest for ${esc(age(oldestSeconds))}` : ""}`,
  ]);
  return `<h2>Health</h2><section>${definitions(rows)}</section>`;
}

function summarySection({ stats }: StatusData): string {
  const rate = (r: StatusData["stats"]["delivery"]["last24h"], figure: string) =>
    `<span data-figure="${figure}">${r.successRatePct === null ? "n/a" : `${r.successRatePct} %`}</span> delivered (${r.sent} sent, ${r.failed} failed, ${r.skipped} skipped)`;
  const { linked } = stats;
  return `<h2>At a glance</h2><section>${definitions([
    [
      "linked customers",
      `<b data-figure="linked">${linked.total}</b> (${linked.last7Days} in the last 7 days, ${linked.last30Days} in 30; ${linked.blocked} blocked the bot)`,
    ],
    ["last 24 hours", rate(stats.delivery.last24h, "rate24h")],
    ["last 7 days", rate(stats.delivery.last7Days, "rate7d")],
    [
      "top commands",
      stats.commands.length === 0
        ? "none yet"
        : esc(stats.commands.map((c) => `/${c.command} ${c.uses}`).join(", ")),
    ],
  ])}</section>`;
}

function charts(data: StatusData): string[] {
  const days = data.linked.map((d) => d.day);
  const utcDays = lastDays(data.at, CHART_DAYS);
  const totals = data.delivery.filter((d) => d.kind === null);
  const byUtcDay = <T extends { day: string }>(rows: T[], pick: (row: T) => number | null) =>
    utcDays.map((day) => {
      const row = rows.find((r) => r.day === day);
      return row ? pick(row) : null;
    });
  const outcome = (name: string, tone: Tone, pick: (r: (typeof totals)[number]) => number) => ({
    name,
    tone,
    values: byUtcDay(totals, pick),
  });
  const kinds = [...new Set(data.delivery.flatMap((d) => (d.kind === null ? [] : [d.kind])))];
  const perKind = (pick: (r: (typeof totals)[number]) => number) =>
    kinds.map((kind) =>
      data.delivery.filter((d) => d.kind === kind).reduce((sum, d) => sum + pick(d), 0),
    );
  const commandNames = [...new Set(data.stats.commands.map((c) => c.command))].slice(0, 5);
  const commandSeries: Series[] = commandNames.map((command, i) => ({
    name: `/${command}`,
    tone: (["c1", "c2", "c3", "c4", "c5"] as const)[i] ?? "c5",
    values: days.map((day) =>
      data.commands
        .filter((c) => c.day === day && c.command === command)
        .reduce((s, c) => s + c.uses, 0),
    ),
  }));
  const otherCommands = days.map((day) =>
    data.commands
      .filter((c) => c.day === day && !commandNames.includes(c.command))
      .reduce((s, c) => s + c.uses, 0),
  );
  if (otherCommands.some((n) => n > 0))
    commandSeries.push({ name: "other", tone: "muted", values: otherCommands });
  const engagement = (pick: (e: StatusData["engagement"][number]) => number) =>
    days.map((day) => {
      const row = data.engagement.find((e) => e.day === day);
      return row ? pick(row) : 0;
    });
  return [
    lineChart({
      id: "linked",
      title: "Linked customers",
      note: "Customers with a linked Telegram chat at the end of each day (those linked now).",
      labels: days,
      series: [{ name: "linked", tone: "c1", values: data.linked.map((d) => d.total) }],
      legend: "last",
    }),
    barChart({
      id: "delivery",
      title: "Messages per day",
      note: "Notifications by the day the website's change happened (UTC): sent, failed for good, skipped (muted, blocked, unlinked).",
      labels: utcDays,
      series: [
        outcome("sent", "ok", (r) => r.sent),
        outcome("failed", "bad", (r) => r.failed),
        outcome("skipped", "muted", (r) => r.skipped),
      ],
    }),
    barChart({
      id: "kinds",
      title: "Messages per kind",
      note: `All ${CHART_DAYS} days together, by kind of notification.`,
      labels: kinds,
      series: [
        { name: "sent", tone: "ok", values: perKind((r) => r.sent) },
        { name: "failed", tone: "bad", values: perKind((r) => r.failed) },
        { name: "skipped", tone: "muted", values: perKind((r) => r.skipped) },
      ],
    }),
    lineChart({
      id: "latency",
      title: "Delivery time",
      note: "From the website's change to Telegram accepting the message: the median and the slowest 1 % of each day.",
      labels: utcDays,
      unit: " ms",
      series: [
        { name: "median", tone: "c1", values: byUtcDay(totals, (r) => r.p50LatencyMs) },
        { name: "99th percentile", tone: "c2", values: byUtcDay(totals, (r) => r.p99LatencyMs) },
      ],
      legend: "max",
    }),
    barChart({
      id: "commands",
      title: "Commands per day",
      note: "Commands customers sent the bot, the five most used of the period by name.",
      labels: days,
      series: commandSeries,
    }),
    barChart({
      id: "active",
      title: "Active chats per day",
      note: "Chats that wrote to the bot that day, and how many of them are linked to an account.",
      labels: days,
      series: [
        { name: "linked", tone: "c4", values: engagement((e) => e.linkedChats) },
        {
          name: "not linked",
          tone: "muted",
          values: engagement((e) => Math.max(0, e.activeChats - e.linkedChats)),
        },
      ],
    }),
  ];
}

function failuresSection({ failures }: StatusData): string {
  if (failures.length === 0)
    return `<h2>Recent failures</h2><section><p class="good" data-figure="failures">No message failed.</p></section>`;
  const rows = failures
    .map(
      (f) =>
        `<tr><td>${esc(utc(f.createdAt))}<br>${esc(f.kind)} #${esc(f.id)}</td><td><b>${esc(f.lastError)}</b><br>${esc(f.fix)}</td></tr>`,
    )
    .join("");
  return `<h2>Recent failures</h2><section><table data-figure="failures"><thead><tr><th>When, what</th><th>Reason and fix</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function partText(health: PartHealth): string {
  if (health === "ok") return `<span class="good">ok</span>`;
  if (health === "standby" || health === "disabled") return esc(health);
  if (typeof health === "string")
    return `<span class="warn">${esc(health.replaceAll("_", " "))}</span>`;
  if ("error" in health) return `<span class="fail">${esc(health.error)}</span>`;
  return esc(`${health.stage}${health.paused ? ", paused" : ""}`);
}

function definitions(rows: Array<[string, string]>): string {
  return `<dl>${rows.map(([term, value]) => `<dt>${esc(term)}</dt><dd>${value}</dd>`).join("")}</dl>`;
}

/** The last `count` UTC days up to `at`'s, oldest first, as `2026-12-02`. */
function lastDays(at: Date, count: number): string[] {
  const today = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
  return Array.from({ length: count }, (_, i) =>
    new Date(today - (count - 1 - i) * 86_400_000).toISOString().slice(0, 10),
  );
}

function utc(at: Date): string {
  return at.toISOString().slice(0, 16).replace("T", " ");
}

function age(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7_200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3_600)} h`;
}
