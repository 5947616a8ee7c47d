/**
 * `npm run bench` — the speed measurements of slot search and booking, written to
 * docs/PERFORMANCE.md with the command and the machine. Not a test: numbers vary with the machine.
 *
 *   1. the slot engine and the whole search (database reads included) at 1 000 / 10 000 / 100 000
 *      appointments, against a naive baseline on the same data;
 *   2. GET /slots under 64 concurrent connections (autocannon), with the server's peak memory;
 *   3. POST /bookings of distinct slots under 64 concurrent connections, then queries that prove
 *      no overlap per therapist or room and no package limit exceeded.
 */
import { execSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { signClientToken } from '../server/auth/tokens.ts';
import { slotInput } from '../server/booking/availability.ts';
import { practiceConfig } from '../server/booking/config.ts';
import { openDatabase } from '../server/db/index.ts';
import { loadClientBudget } from '../server/db/load.ts';
import { naiveSearchSlots, searchSlots } from '../server/engine/slots.ts';
import { bookingCalendar } from '../server/mail/ics.ts';
import { consumption } from '../shared/budget.ts';
import { addDays, localToInstant, toIsoWithOffset } from '../shared/time.ts';
import { startServer, TEST_SECRET } from '../test/support-process.ts';
import { addAppointments, addReturningClients, createBenchPractice, prng, TZ } from './fixture.ts';

const NOW = Date.UTC(2027, 0, 1, 8);
const FIRST = '2027-01-04'; // a Monday
const quick = process.argv.includes('--quick');
/** `--only=engine|slots|bookings`: one part, printed but not written to docs/PERFORMANCE.md. */
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7);
const dir = mkdtempSync(join(tmpdir(), 'terminkette-bench-'));
const out: string[] = [];
const log = (line = '') => {
  console.log(line);
  out.push(line);
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
const ms = (x: number) => x.toFixed(2);

function time<T>(fn: () => T): [T, number] {
  const t0 = process.hrtime.bigint();
  const result = fn();
  return [result, Number(process.hrtime.bigint() - t0) / 1e6];
}

/** 1. The engine and the whole search, at several table sizes. */
function engineBench() {
  log('## 1. Slot search: engine and whole search');
  log();
  log('A 14-day search for a 40-minute chain (30 min + 10 min buffer) that needs one of 5 rooms and may');
  log('be given by any of 20 therapists, grid step 10 minutes. "Whole search" is what the slots endpoint');
  log('does: load hours, exceptions, rooms and the appointments of the window from SQLite (file, WAL),');
  log('then run the engine. "Naive" tests every candidate start against every appointment of the window,');
  log('as older booking engines do, on the same input and with the same result.');
  log();
  log(
    '| appointments in the table | per therapist and working day | in a 14-day window (median) | whole search, median | engine only, median | naive, median | naive ÷ engine |',
  );
  log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const cases: [number, number][] = [
    [1_000, 4],
    [10_000, 4],
    [100_000, 4],
    [10_000, 8],
  ];
  for (const [count, perDay] of cases) {
    const db = openDatabase(join(dir, `engine-${count}-${perDay}.db`));
    const p = createBenchPractice(db, NOW);
    const last = addAppointments(db, p, { count, firstDate: FIRST, perDay, seed: count + perDay, now: NOW });
    // As the server does: the configuration from memory while practices.config_version is unchanged.
    const config = () => practiceConfig(db, p.slug)!;
    const chain = config().chainById.get(p.chainId)!;
    const random = prng(count);
    // Windows inside the booking window (730 days ahead), whatever the table holds beyond it.
    const span = Math.min(
      700,
      Math.max(
        1,
        Math.round((Date.parse(`${last}T00:00:00Z`) - Date.parse(`${FIRST}T00:00:00Z`)) / 86_400_000) - 14,
      ),
    );
    const runs = quick ? 20 : 100;
    const whole: number[] = [];
    const engine: number[] = [];
    const naive: number[] = [];
    const inWindow: number[] = [];
    for (let i = 0; i < runs; i++) {
      const from = addDays(FIRST, Math.floor(random() * span));
      const to = addDays(from, 13);
      const q = { from, to, client: null, now: NOW };
      const [, tWhole] = time(() => searchSlots(slotInput(db, config(), chain, q)));
      whole.push(tWhole);
      const input = slotInput(db, config(), chain, q);
      inWindow.push(input.busy.length);
      const [fast, tEngine] = time(() => searchSlots(input));
      engine.push(tEngine);
      if (i < (quick ? 3 : 10)) {
        const [slow, tNaive] = time(() => naiveSearchSlots(input));
        naive.push(tNaive);
        if (JSON.stringify(slow) !== JSON.stringify(fast)) throw new Error('naive and engine disagree');
      }
    }
    log(
      `| ${count.toLocaleString('en')} | ${perDay} | ${median(inWindow)} | ${ms(median(whole))} ms | ${ms(median(engine))} ms | ${ms(median(naive))} ms | ${(median(naive) / median(engine)).toFixed(0)}× |`,
    );
    db.$client.close();
  }
  log();
}

/** `own(pid)` summed over a process and all its descendants (Linux /proc; 0 where unreadable). */
function overProcessTree(pid: number, own: (pid: number) => number): number {
  try {
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    return own(pid) + children.reduce((sum, c) => sum + overProcessTree(Number(c), own), 0);
  } catch {
    return 0;
  }
}

/** Peak resident memory (VmHWM) of a process and its children, in MiB. */
function treeMemory(pid: number): string {
  const total = overProcessTree(pid, (p) =>
    Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0),
  );
  return total ? `${Math.round(total / 1024)} MiB` : 'n/a';
}

/** CPU seconds used so far by a process and all its descendants. */
function treeCpuSeconds(pid: number): number {
  return overProcessTree(pid, (p) => {
    const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks
  });
}

export interface SteadyResult {
  /** Responses per second inside the measured window. */
  rps: number;
  p50: number;
  p99: number;
  max: number;
  non2xx: number;
  bytesPerResponse: number;
  /** Server CPU (all its processes and threads) per response inside the window, ms; NaN without /proc. */
  cpuMsPerResponse: number;
}

/**
 * One autocannon run of `warmup + duration` seconds on the same connections; only the responses
 * of the last `duration` seconds count. Separate warm-up and measuring runs would measure the
 * second run's new connections being accepted by a loaded server (Node accepts one connection
 * per turn of its event loop), not the steady state of 64 open connections.
 */
async function steadyLoad(
  opts: autocannon.Options,
  serverPid: number,
  warmup: number,
  duration: number,
): Promise<SteadyResult> {
  const latencies: number[] = [];
  let non2xx = 0;
  let bytes = 0;
  let cpuAtStart = Number.NaN;
  let cpuAtEnd = Number.NaN;
  let measuring = false;
  await new Promise<void>((resolve, reject) => {
    const instance = autocannon({ ...opts, duration: warmup + duration }, (err) =>
      err ? reject(err) : resolve(),
    );
    const start = setTimeout(() => {
      measuring = true;
      cpuAtStart = treeCpuSeconds(serverPid);
    }, warmup * 1000);
    const end = setTimeout(
      () => {
        measuring = false;
        cpuAtEnd = treeCpuSeconds(serverPid);
      },
      (warmup + duration) * 1000,
    );
    instance.on('done', () => {
      clearTimeout(start);
      clearTimeout(end);
    });
    instance.on('response', (_client: unknown, status: number, resBytes: number, responseTime: number) => {
      if (!measuring) return;
      latencies.push(responseTime);
      bytes += resBytes;
      if (status < 200 || status >= 300) non2xx++;
    });
  });
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0);
  const cpu = cpuAtEnd - cpuAtStart;
  return {
    rps: Math.round(latencies.length / duration),
    p50: at(0.5),
    p99: at(0.99),
    max: Math.round(latencies.at(-1) ?? 0),
    non2xx,
    bytesPerResponse: latencies.length ? bytes / latencies.length : 0,
    cpuMsPerResponse: cpu > 0 && latencies.length ? (cpu * 1000) / latencies.length : Number.NaN,
  };
}

/** The /slots rows, for the targets table at the top. */
const slotTargets: { label: string; workers: string; cache: string; rps: number; p99: number }[] = [];

/** 2. GET /slots over HTTP. */
async function slotsBench() {
  log('## 2. GET /api/v1/p/:practice/slots under load');
  log();
  const path = join(dir, 'http-slots.db');
  const db = openDatabase(path);
  const p = createBenchPractice(db, NOW);
  const last = addAppointments(db, p, { count: 10_000, firstDate: FIRST, perDay: 4, seed: 7, now: NOW });
  db.$client.close();
  const span =
    Math.round((Date.parse(`${last}T00:00:00Z`) - Date.parse(`${FIRST}T00:00:00Z`)) / 86_400_000) - 7;
  const random = prng(11);
  const duration = quick ? 3 : 10;
  const variants: [string, (from: string) => string][] = [
    [
      'a week, one therapist',
      (from) =>
        `/api/v1/p/bench/slots?chain=${p.chainId}&from=${from}&to=${addDays(from, 6)}&therapist=${p.therapistIds[Math.floor(random() * 20)]}`,
    ],
    [
      'one day, all 20 therapists',
      (from) => `/api/v1/p/bench/slots?chain=${p.chainId}&from=${from}&to=${from}`,
    ],
  ];
  log(
    `10 000 appointments in the table, 64 connections, measured for ${duration} s after a 3 s warm-up on the same connections. Each request`,
  );
  log('asks for a random start date: "any" = among all the dates holding appointments, so nearly every');
  log(`request is new (${span * 20} different "week, one therapist" requests); "next 4 weeks" = among the`);
  log('first 28 days, as clients mostly look at the coming weeks. "answer cache" keeps finished answers');
  log('until the next write to the database by any process (`ANSWER_CACHE_ENTRIES`, default 2000; 0 = off).');
  log('`WORKERS` is the number of HTTP processes sharing the port. Memory: peak resident set (VmHWM),');
  log("summed over the server's processes.");
  log();
  log(
    '| request | workers | answer cache | dates | requests/s | latency p50 | p99 | non-2xx | answer | server memory |',
  );
  log('| --- | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  const setups = [
    { workers: '1', cache: '0', days: span, dates: 'any' },
    { workers: '2', cache: '0', days: span, dates: 'any' },
    { workers: '1', cache: '2000', days: 28, dates: 'next 4 weeks' },
    { workers: '2', cache: '2000', days: 28, dates: 'next 4 weeks' },
  ];
  for (const setup of setups) {
    const server = await startServer(path, {
      LOAD_DEMO: '0',
      ANSWER_CACHE_ENTRIES: setup.cache,
      WORKERS: setup.workers,
    });
    try {
      for (const [label, url] of variants) {
        const requests = [
          {
            method: 'GET' as const,
            setupRequest: (req: autocannon.Request) => ({
              ...req,
              path: url(addDays(FIRST, Math.floor(random() * Math.max(1, setup.days)))),
            }),
          },
        ];
        const r = await steadyLoad(
          { url: server.url, connections: 64, requests },
          server.child.pid!,
          3,
          duration,
        );
        slotTargets.push({
          label: `${label}, answer cache ${setup.cache === '0' ? 'off' : 'on'}, dates ${setup.dates}`,
          workers: setup.workers,
          cache: setup.cache,
          rps: r.rps,
          p99: r.p99,
        });
        log(
          `| ${label} | ${setup.workers} | ${setup.cache === '0' ? 'off' : 'on'} | ${setup.dates} | ${r.rps} | ${r.p50} ms | ${r.p99} ms | ${r.non2xx} | ${Math.round(r.bytesPerResponse / 1024)} KiB | ${treeMemory(server.child.pid!)} |`,
        );
      }
    } finally {
      await server.stop();
    }
  }
  log();
}

/** What rendering one booking's .ics costs (paid by the outbox worker when it sends). */
function icsCost(): number {
  const input = (i: number) => ({
    uid: `appointment-${i}@bench.terminkette`,
    sequence: 0,
    method: 'REQUEST' as const,
    start: NOW + i * 3_600_000,
    end: NOW + i * 3_600_000 + 1_800_000,
    timeZone: TZ,
    summary: 'MT Serie – Benchmark-Praxis',
    description: 'MT Serie bei Therapeuty A.',
    organizer: { name: 'Benchmark-Praxis', email: 'praxis@bench.example' },
    attendee: { name: 'Bench Client', email: 'client@example.org' },
    url: 'http://localhost:3000/cancel?booking=1&token=x',
    stamp: NOW,
  });
  for (let i = 0; i < 200; i++) bookingCalendar(input(i));
  const [, t] = time(() => {
    for (let i = 0; i < 1000; i++) bookingCalendar(input(i));
  });
  return t / 1000;
}

function todayPlus(days: number): string {
  return addDays(new Date().toISOString().slice(0, 10), days);
}

function lettersOf(n: number): string {
  let s = '';
  do {
    s = String.fromCharCode(97 + (n % 26)) + s;
    n = Math.floor(n / 26);
  } while (n > 0);
  return s;
}

/** 3. POST /bookings of distinct slots, then the proofs. */
/** The 64-connection booking rows, for the targets table at the top. */
const bookingTargets: { workers: string; clients: Clients; rps: number; p99: number }[] = [];

/** Who books: each request a new client, or returning clients (client token) with a package. */
type Clients = 'new' | 'returning';

/** Returning clients in the returning rows, each with a package of 10 sessions. */
const RETURNING_CLIENTS = 8_000;

async function bookingBench() {
  const icsMs = icsCost();
  const duration = quick ? 3 : 10;
  log('## 3. POST /api/v1/p/:practice/bookings under load');
  log();
  log(
    'Each request books a distinct start. "new": for a new client: file, package created on booking, appointment,',
  );
  log(
    `ledger, confirmation e-mail into the outbox, idempotency record. "returning": with the client token of one of ${RETURNING_CLIENTS.toLocaleString('en')}`,
  );
  log(
    "clients, each holding a package of 10 sessions; the booking reads the client's budget and assigns the appointment",
  );
  log(
    `to that package (the clients take turns, so each books up to 10 times). Measured for ${duration} s after a 3 s warm-up`,
  );
  log(
    'on the same connections, a fresh database per row. No SMTP server: the mails stay in the outbox and are logged. The .ics of a mail is',
  );
  log(
    `rendered when it is sent (about ${icsMs.toFixed(2)} ms each, measured here), so that cost is not in these numbers.`,
  );
  log();
  log(
    '| workers | connections | clients | bookings/s (201) | latency p50 | p99 | max | non-2xx | server CPU per booking | all runs | bookings written | overlaps (therapist / room) | package criteria over limit | integrity |',
  );
  log('| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | --- | --- | --- |');
  const runs: [string, number, Clients][] = [
    ['1', 64, 'new'],
    ['2', 64, 'new'],
    ['1', 64, 'returning'],
    ['2', 64, 'returning'],
    ['1', 8, 'new'],
  ];
  // The machine's speed varies from run to run (a shared host): each row is the median of
  // `repeats` runs by bookings/s, and the range of all of them is shown next to it.
  const repeats = quick ? 1 : 3;
  for (const [workers, connections, clients] of runs) {
    const all: Awaited<ReturnType<typeof bookingRun>>[] = [];
    for (let i = 0; i < repeats; i++) all.push(await bookingRun(workers, duration, connections, clients));
    const sorted = [...all].sort((a, b) => a.result.rps - b.result.rps);
    const r = sorted[Math.floor(sorted.length / 2)]!;
    const l = r.result;
    const range = (pick: (x: SteadyResult) => number) =>
      `${Math.min(...all.map((x) => pick(x.result)))}–${Math.max(...all.map((x) => pick(x.result)))}`;
    if (connections === 64) bookingTargets.push({ workers, clients, rps: l.rps, p99: l.p99 });
    log(
      `| ${workers} | ${connections} | ${clients} | ${l.rps - Math.round(l.non2xx / duration)} | ${l.p50} ms | ${l.p99} ms | ${l.max} ms | ${l.non2xx} | ${l.cpuMsPerResponse.toFixed(2)} ms | ${range((x) => x.rps)} /s, p99 ${range((x) => x.p99)} ms | ${all.map((x) => x.booked).join(' / ')} | **${all.map((x) => `${x.overlapsTherapist} / ${x.overlapsRoom}`).join(', ')}** | **${all.reduce((n, x) => n + x.exceeded, 0)}** of ${all.reduce((n, x) => n + x.packages, 0)} packages | ${[...new Set(all.map((x) => x.integrity))].join(', ')} |`,
    );
  }
  log();
  log(
    'The last three columns are queries run after each load: appointments of one therapist or one room that',
  );
  log(
    'overlap (buffers included), and package criteria whose used + planned exceed their limit, computed by',
  );
  log('the same budget code the server checks with, for every run. Each row is the median of its runs by');
  log('bookings/s; "all runs" gives the range over them (the machine is shared, and its speed varies).');
  log('Server CPU: all processes and threads of the server');
  log('(workers, primary, the WAL checkpoint thread, GC) per booking in the measured window, from /proc.');
  log();
}

let bookingRuns = 0;

async function bookingRun(workers: string, duration: number, connections: number, clients: Clients) {
  const path = join(dir, `http-bookings-${workers}-${connections}-${clients}-${++bookingRuns}.db`);
  const db = openDatabase(path);
  const p = createBenchPractice(db, NOW);
  const signedAt = Date.now();
  const tokens =
    clients === 'returning'
      ? addReturningClients(db, p, RETURNING_CLIENTS, signedAt).map(
          (c) => signClientToken(TEST_SECRET, { practiceId: p.practiceId, ...c }, signedAt).token,
        )
      : [];
  db.$client.close();
  // Distinct starts: every therapist, every working day ahead, every 40 minutes from 08:00.
  const starts: { start: string; therapist: number }[] = [];
  for (let day = 2; starts.length < 150_000 && day < 700; day++) {
    const date = todayPlus(day);
    const weekday = new Date(`${date}T12:00:00Z`).getUTCDay();
    if (weekday === 0 || weekday === 6) continue;
    for (let m = 8 * 60; m + 40 <= 18 * 60; m += 40) {
      for (const therapist of p.therapistIds) {
        starts.push({ start: toIsoWithOffset(localToInstant(date, m, TZ)!, TZ), therapist });
      }
    }
  }
  const server = await startServer(path, { LOAD_DEMO: '0', WORKERS: workers });
  let n = 0;
  let result: SteadyResult;
  try {
    const requests: autocannon.Request[] = [
      {
        method: 'POST',
        path: '/api/v1/p/bench/bookings',
        setupRequest: (req) => {
          const i = n++;
          const s = starts[i % starts.length]!;
          return {
            ...req,
            headers: {
              'content-type': 'application/json',
              'idempotency-key': `bench-${i}`,
              ...(clients === 'returning' ? { authorization: `Bearer ${tokens[i % tokens.length]}` } : {}),
            },
            body: JSON.stringify({
              chain: p.bookingChainId,
              start: s.start,
              therapist: s.therapist,
              ...(clients === 'new'
                ? {
                    client: {
                      firstName: 'Bench',
                      lastName: lettersOf(i),
                      email: `bench${i}@example.org`,
                      consent: true,
                    },
                  }
                : {}),
            }),
          };
        },
      },
    ];
    // The warm-up's bookings count in the checks below, not in the rate.
    result = await steadyLoad({ url: server.url, connections, requests }, server.child.pid!, 3, duration);
  } finally {
    await server.stop();
  }
  const check = openDatabase(path);
  const one = (sql: string) => (check.$client.prepare(sql).get() as { n: number }).n;
  const booked = one("SELECT count(*) AS n FROM appointments WHERE source = 'online'");
  const overlapsTherapist = one(`SELECT count(*) AS n FROM appointments a JOIN appointments b
    ON b.therapist_id = a.therapist_id AND b.id > a.id AND b.status != 'cancelled'
   AND b.starts_at < a.blocked_until AND a.starts_at < b.blocked_until WHERE a.status != 'cancelled'`);
  const overlapsRoom = one(`SELECT count(*) AS n FROM appointments a JOIN appointments b
    ON b.room_id = a.room_id AND b.id > a.id AND b.status != 'cancelled'
   AND b.starts_at < a.blocked_until AND a.starts_at < b.blocked_until WHERE a.status != 'cancelled' AND a.room_id IS NOT NULL`);
  // Every package, every criterion, by the same budget code the server checks with.
  let exceeded = 0;
  let packages = 0;
  const holders = check.$client
    .prepare('SELECT DISTINCT client_id AS id FROM packages WHERE practice_id = ?')
    .all(p.practiceId) as { id: number }[];
  for (const { id } of holders) {
    const budget = loadClientBudget(check, p.practiceId, id)!;
    for (const pkg of budget.packages) {
      packages++;
      for (const use of consumption(pkg, budget.appointmentsByPackage.get(pkg.id) ?? [], Date.now())) {
        if (use.used + use.planned > use.limit) exceeded++;
      }
    }
  }
  const integrity = check.$client.pragma('integrity_check', { simple: true });
  check.$client.close();
  return { result, booked, overlapsTherapist, overlapsRoom, exceeded, packages, integrity };
}

async function main() {
  const started = new Date();
  const cpu = cpus();
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
  } catch {}
  if (!only || only === 'engine') engineBench();
  if (!only || only === 'slots') await slotsBench();
  if (!only || only === 'bookings') await bookingBench();
  if (only) {
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  const head = [
    '# Performance',
    '',
    'Written by `npm run bench` (bench/run.ts); run it again to refresh. Numbers are medians of the runs',
    'described below; they vary with the machine and with whatever else it is doing.',
    '',
    `- measured: ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, commit ${commit}${quick ? ' (--quick: shorter runs)' : ''}`,
    `- machine: ${cpu.length} × ${cpu[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}, Node ${process.version}`,
    '- load generator: autocannon in the benchmark process; the server is a separate process (`node --import tsx server/main.ts`) on 127.0.0.1, SQLite file in WAL mode',
    '',

    '## Targets (from the issues) and where they stand',
    '',
    '| target | result in this run |',
    '| --- | --- |',
    '| slot search, 14 days, 20 therapists, 5 rooms, 10 000 appointments: median ≤ 5 ms | see section 1: engine alone and whole search (database reads included) |',
    '| grows with the appointments inside the window, not with the table | section 1: 1 000 / 10 000 / 100 000 rows at the same window load |',
    '| naive baseline on the same data, and the ratio | section 1, last two columns |',
    `| GET /slots, 64 connections: ≥ 2 000 requests/s, p99 ≤ 50 ms | section 2: ${
      slotTargets
        .map(
          (t) =>
            `${t.label}, WORKERS=${t.workers}: ${t.rps}/s, p99 ${t.p99} ms — ${t.rps >= 2000 && t.p99 <= 50 ? 'met' : 'not met'}`,
        )
        .join('; ') || 'not run'
    } |`,
    `| bookings, 64 connections: ≥ 1 000/s, p99 ≤ 50 ms | section 3: ${
      bookingTargets
        .map(
          (t) =>
            `${t.clients} clients, WORKERS=${t.workers}: ${t.rps}/s, p99 ${t.p99} ms — ${t.rps >= 1000 && t.p99 <= 50 ? 'met' : 'not met'}`,
        )
        .join('; ') || 'not run'
    } |`,
    '| after the booking load: no overlap per therapist or room, no limit exceeded | section 3, last columns |',
    '',
  ];
  writeFileSync(new URL('../docs/PERFORMANCE.md', import.meta.url), `${[...head, ...out].join('\n')}\n`);
  rmSync(dir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  rmSync(dir, { recursive: true, force: true });
  process.exit(1);
});
