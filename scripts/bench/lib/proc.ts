/** What /proc says about a process: its parent, children, CPU time, memory, start time. */
import { readdir, readFile } from "node:fs/promises";

/** The fields of /proc/<pid>/stat after the command name (state first), or undefined. */
async function procStat(pid: number | string): Promise<string[] | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
  // The command name may hold spaces and parentheses: the fields start after the last ")".
  return stat ? stat.slice(stat.lastIndexOf(")") + 2).split(" ") : undefined;
}

/** Clock ticks per second in /proc/<pid>/stat. */
export const TICK = 100;

/** The parent process of `pid` (for a backend: the postmaster). */
export async function parentOf(pid: number): Promise<number | undefined> {
  const f = await procStat(pid);
  return f ? Number(f[1]) : undefined;
}

/** User + system CPU seconds of one process (or thread: "<pid>/task/<tid>"). */
export async function processCpuSeconds(pid: number | string): Promise<number> {
  const f = (await procStat(pid)) ?? [];
  return (Number(f[11]) + Number(f[12])) / TICK;
}

/** CPU seconds used by the postmaster and its children, living and exited. */
export async function serverCpuSeconds(postmaster: number): Promise<number> {
  let total = 0;
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const f = await procStat(entry);
    if (!f) continue;
    const pid = Number(entry);
    if (pid !== postmaster && Number(f[1]) !== postmaster) continue;
    total += Number(f[11]) + Number(f[12]);
    if (pid === postmaster) total += Number(f[13]) + Number(f[14]);
  }
  return total / TICK;
}

/** Process ids below `root`, parents before children. */
export async function descendants(root: number): Promise<number[]> {
  const parents = new Map<number, number[]>();
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = Number((await procStat(entry))?.[1]);
    if (!Number.isFinite(ppid)) continue;
    parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    for (const child of parents.get(pid) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

/** A process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat). */
export async function startTicks(pid: number): Promise<number> {
  const f = await procStat(pid);
  if (!f) throw new Error(`no process ${pid}`);
  return Number(f[19]);
}

/** A memory line of /proc/<pid>/status in KiB (VmRSS: now; VmHWM: the peak), or undefined. */
async function statusKiB(pid: number, field: "VmRSS" | "VmHWM"): Promise<number | undefined> {
  const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
  const kib = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1];
  return kib === undefined ? undefined : Number(kib);
}

/** VmRSS of a process, in KiB. */
export async function rss(pid: number): Promise<number> {
  const kib = await statusKiB(pid, "VmRSS");
  if (kib === undefined) throw new Error(`no VmRSS for process ${pid}`);
  return kib;
}

/** The peak RSS (VmHWM) of a process so far, in KiB; 0 once it is gone. */
export async function peakRss(pid: number): Promise<number> {
  return (await statusKiB(pid, "VmHWM")) ?? 0;
}
