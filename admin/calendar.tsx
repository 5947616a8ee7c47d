/**
 * The calendar: a week of one therapist, or a day of all, with working hours and appointments (and
 * holds), navigable by keyboard — every appointment is a button, in time order. An appointment
 * opens its editor: time, therapist, room, services and quantities, and the bars of every package
 * it is assigned to, which change at once as services are added, removed or their quantity changed
 * — computed in the browser by the same shared `bars()` the server checks with. A draft that takes
 * a criterion over its limit turns it red and names it ("KG: 7 von 6"); saving it is refused by the
 * server with the numbers, and nothing is written. New appointments from a chain or free services.
 */
import { type Signal, signal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import type { Bar } from '../shared/budget.ts';
import type { BudgetAppointment, BudgetPackage } from '../shared/domain.ts';
import { draftBars, draftLines, overLimit } from '../shared/draft.ts';
import { addDays, localDate, localToInstant } from '../shared/time.ts';
import { api, error, ok, practiceZone, status, wallClock } from './api.ts';
import { Choice } from './choice.tsx';
import type { Texts } from './texts.ts';

type Service = { id: number; code: string; name: string; priceCents: number; durationMinutes: number };
type Days = {
  timeZone: string;
  therapists: {
    id: number;
    name: string;
    color: string;
    hours: Record<string, { from: number; to: number }[]>;
  }[];
  rooms: { id: number; name: string }[];
  chains: { id: number; name: string; therapistIds: number[] }[];
  services: Service[];
  appointments: {
    id: number;
    start: string;
    end: string;
    status: string;
    therapistId: number;
    roomId: number | null;
    client: { id: number; name: string } | null;
    title: string;
    hold: boolean;
  }[];
};
type Detail = {
  appointment: {
    id: number;
    clientId: number;
    client: string;
    start: string;
    end: string;
    status: string;
    therapistId: number;
    roomId: number | null;
    lines: { serviceId: number; code: string; quantity: number; unitPriceCents: number }[];
    packageIds: number[];
  };
  packages: (BudgetPackage & { appointments: BudgetAppointment[] })[];
  services: Service[];
};
type Line = { serviceId: number; quantity: number };
type Rights = { configure: boolean; packages: boolean; editPackages: boolean };

const FIRST_HOUR = 7;
const LAST_HOUR = 21;
const PX_PER_MIN = 1;

const monday = (date: string) => {
  const d = new Date(`${date}T12:00:00Z`).getUTCDay();
  return addDays(date, -((d + 6) % 7));
};

const view = signal<'week' | 'day' | 'rooms' | 'roomWeek'>('week');
/** Whether the view shows a week (of a therapist or of a room) rather than a day. */
const weekly = () => view.value === 'week' || view.value === 'roomWeek';
const room = signal<number | null>(null);
const day = signal(localDate(Date.now(), practiceZone.value));
const therapist = signal<number | null>(null);
const days = signal<Days | null>(null);
const open = signal<Detail | null>(null);
const lines = signal<Line[]>([]);
/** The rest of the draft: local date and time, therapist, room, the packages it is assigned to. */
const moved = signal({
  date: '',
  time: '',
  therapistId: 0,
  roomId: null as number | null,
  packageIds: [] as number[],
});
const refusal = signal('');

/** `HH:MM` of an instant in the practice's zone. */
const hhmm = (iso: string) =>
  new Date(iso).toLocaleTimeString('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
    timeZone: practiceZone.value,
  });

/** A choice of the toolbar into its signal, and the calendar loaded for it. */
function show<T>(into: Signal<T>, value: T) {
  into.value = value;
  load().catch(() => {});
}

async function load() {
  const from = weekly() ? monday(day.value) : day.value;
  const to = weekly() ? addDays(from, 6) : from;
  const res = await api.calendar.$get({
    query: {
      from,
      to,
      ...(view.value === 'week' && therapist.value ? { therapist: String(therapist.value) } : {}),
      ...(view.value === 'roomWeek' && room.value ? { room: String(room.value) } : {}),
    },
  });
  days.value = await ok<Days>(res);
  if (therapist.value === null && days.value.therapists[0]) therapist.value = days.value.therapists[0].id;
  if (room.value === null && days.value.rooms[0]) room.value = days.value.rooms[0].id;
}

async function openAppointment(id: number) {
  refusal.value = '';
  open.value = await ok<Detail>(await api.appointments[':id'].$get({ param: { id: String(id) } }));
  const a = open.value.appointment;
  lines.value = a.lines.map((l) => ({ serviceId: l.serviceId, quantity: l.quantity }));
  moved.value = {
    date: localDate(Date.parse(a.start), practiceZone.value),
    time: hhmm(a.start),
    therapistId: a.therapistId,
    roomId: a.roomId,
    packageIds: [...a.packageIds],
  };
}

/** The draft's start and end: the chosen local time, the appointment's length. */
function draftTimes(d: Detail): { start: number; end: number } | null {
  const [h, m] = moved.value.time.split(':').map(Number);
  const start = localToInstant(moved.value.date, (h ?? 0) * 60 + (m ?? 0), practiceZone.value);
  if (start === null || Number.isNaN(start)) return null;
  return { start, end: start + (Date.parse(d.appointment.end) - Date.parse(d.appointment.start)) };
}

/** The draft's lines, priced as the server will price them (shared/draft.ts). */
const linesOf = (d: Detail) => draftLines(d.appointment.lines, lines.value, d.services);

/** What the draft changes, as the PATCH body: the lines always, the rest where it differs. */
function changeOf(d: Detail) {
  const a = d.appointment;
  const m = moved.value;
  const times = draftTimes(d);
  const samePackages =
    m.packageIds.length === a.packageIds.length && m.packageIds.every((id) => a.packageIds.includes(id));
  return {
    lines: lines.value.map((l) => ({ service: l.serviceId, quantity: l.quantity })),
    ...(times && times.start !== Date.parse(a.start) ? { start: new Date(times.start).toISOString() } : {}),
    ...(m.therapistId !== a.therapistId ? { therapist: m.therapistId } : {}),
    ...(m.roomId !== a.roomId ? { room: m.roomId } : {}),
    ...(samePackages ? {} : { packages: m.packageIds }),
  };
}

/** A refusal in words: a package limit names package, criterion, limit and what was asked. */
function refusalText(t: Texts, body: Record<string, unknown>) {
  if (body.code === 'package_limit') {
    const pkg = body.package as { name: string };
    const v = (
      body.violations as {
        criterion: string;
        code?: string;
        limit: number;
        current: number;
        requested: number;
      }[]
    )
      .map(
        (x) =>
          `${x.code ?? t.cal.criteria[x.criterion as 'appointments']}: ${t.cl.of(String(x.current + x.requested), String(x.limit))}`,
      )
      .join(', ');
    return t.cal.limit(pkg.name, v);
  }
  return String(body.detail ?? body.code ?? '');
}

async function send(t: Texts, run: () => Promise<Response>, after: () => Promise<void>) {
  const res = await run();
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) {
    refusal.value = refusalText(t, body);
    return;
  }
  refusal.value = '';
  error.value = '';
  status.value = t.saved;
  await after();
}

function label(t: Texts, b: Bar) {
  const name =
    b.criterion === 'appointments'
      ? t.cl.appointments
      : b.criterion === 'amount'
        ? t.cl.amount
        : (b.code ?? '');
  const n = (x: number) =>
    b.criterion === 'amount' || b.criterion === 'codeAmount' ? t.euros(x) : String(x);
  return `${name}: ${t.cl.of(n(b.used + b.planned + b.draft), n(b.limit))}`;
}

function Editor({ t, d, data, rights }: { t: Texts; d: Detail; data: Days; rights: Rights }) {
  const a = d.appointment;
  const times = draftTimes(d) ?? { start: Date.parse(a.start), end: Date.parse(a.end) };
  const draft = { id: a.id, ...times, lines: linesOf(d) };
  const assigned = d.packages.filter((p) => moved.value.packageIds.includes(p.id));
  const set = (change: Partial<typeof moved.value>) => (moved.value = { ...moved.value, ...change });
  const now = Date.now();
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [a.id]);
  const setQuantity = (i: number, q: number) =>
    (lines.value =
      q <= 0
        ? lines.value.filter((_, j) => j !== i)
        : lines.value.map((l, j) => (j === i ? { ...l, quantity: q } : l)));
  const editable = a.status === 'booked';
  return (
    <section class="editor" aria-labelledby="editor-title">
      <h2 id="editor-title" tabIndex={-1} ref={heading}>
        {a.client} · {wallClock(a.start, t.locale, { dateStyle: 'full', timeStyle: 'short' })}
      </h2>
      <p class="hint">
        {data.therapists.find((x) => x.id === a.therapistId)?.name} ·{' '}
        {t.cl.statuses[a.status as 'booked'] ?? a.status}
      </p>
      <div class="grid">
        <p class="field">
          <label for="edit-date">{t.cfg.date}</label>
          <input
            id="edit-date"
            type="date"
            disabled={!editable}
            value={moved.value.date}
            onChange={(e) => set({ date: e.currentTarget.value })}
          />
        </p>
        <p class="field">
          <label for="edit-time">{t.cal.time}</label>
          <input
            id="edit-time"
            type="time"
            step={300}
            disabled={!editable}
            value={moved.value.time}
            onChange={(e) => set({ time: e.currentTarget.value })}
          />
        </p>
        <p class="field">
          <label for="edit-therapist">{t.cfg.therapists}</label>
          <select
            id="edit-therapist"
            disabled={!editable}
            value={String(moved.value.therapistId)}
            onChange={(e) => set({ therapistId: Number(e.currentTarget.value) })}
          >
            {(allTherapists.value.length ? allTherapists.value : data.therapists).map((x) => (
              <option key={x.id} value={x.id}>
                {x.name}
              </option>
            ))}
          </select>
        </p>
        <p class="field">
          <label for="edit-room">{t.cal.room}</label>
          <select
            id="edit-room"
            disabled={!editable}
            value={String(moved.value.roomId ?? '')}
            onChange={(e) => set({ roomId: e.currentTarget.value ? Number(e.currentTarget.value) : null })}
          >
            <option value="">{t.cal.noRoom}</option>
            {data.rooms.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name}
              </option>
            ))}
          </select>
        </p>
      </div>
      <h3>{t.cal.services}</h3>
      <ul class="lines">
        {lines.value.map((l, i) => {
          const s = d.services.find((x) => x.id === l.serviceId)!;
          return (
            <li key={l.serviceId}>
              <span>
                {s.code} – {s.name}
              </span>
              <button
                type="button"
                class="secondary"
                disabled={!editable}
                onClick={() => setQuantity(i, l.quantity - 1)}
              >
                −<span class="sr"> {t.cal.less(s.code)}</span>
              </button>
              <output aria-label={t.cal.quantityOf(s.code)}>{l.quantity}</output>
              <button
                type="button"
                class="secondary"
                disabled={!editable}
                onClick={() => setQuantity(i, l.quantity + 1)}
              >
                +<span class="sr"> {t.cal.more(s.code)}</span>
              </button>
            </li>
          );
        })}
      </ul>
      {editable && (
        <p class="field">
          <label for="add-service">{t.cal.addService}</label>
          <select
            id="add-service"
            value=""
            onChange={(e) => {
              const id = Number(e.currentTarget.value);
              if (!id) return;
              const i = lines.value.findIndex((l) => l.serviceId === id);
              lines.value =
                i >= 0
                  ? lines.value.map((l, j) => (j === i ? { ...l, quantity: l.quantity + 1 } : l))
                  : [...lines.value, { serviceId: id, quantity: 1 }];
              e.currentTarget.value = '';
            }}
          >
            <option value="">–</option>
            {d.services.map((s) => (
              <option key={s.id} value={s.id}>
                {s.code} – {s.name}
              </option>
            ))}
          </select>
        </p>
      )}
      <h3>{t.cal.packages}</h3>
      {rights.editPackages && editable && d.packages.length > 0 && (
        <fieldset class="checks">
          <legend>{t.cal.assign}</legend>
          {d.packages
            .filter((p) => p.status === 'active' || a.packageIds.includes(p.id))
            .map((p) => (
              <label key={p.id}>
                <input
                  type="checkbox"
                  checked={moved.value.packageIds.includes(p.id)}
                  onChange={(e) =>
                    set({
                      packageIds: e.currentTarget.checked
                        ? [...moved.value.packageIds, p.id]
                        : moved.value.packageIds.filter((x) => x !== p.id),
                    })
                  }
                />{' '}
                {p.name}
              </label>
            ))}
        </fieldset>
      )}
      {assigned.length === 0 && <p>{t.cal.noPackages}</p>}
      <div aria-live="polite">
        {draftBars(assigned, draft, now).map(({ packageId, bars: pb }) => (
          <div key={packageId} class="package">
            <h4>{assigned.find((p) => p.id === packageId)!.name}</h4>
            {pb.map((b) => (
              <div key={`${b.criterion}${b.code ?? ''}`} class={`bar ${b.colour}`}>
                <span class="track" aria-hidden="true">
                  <span
                    class="used"
                    style={{
                      width: `${Math.min(100, Math.round(((b.used + b.planned + b.draft) / Math.max(b.limit, 1)) * 100))}%`,
                    }}
                  />
                </span>
                <span>
                  {label(t, b)}
                  {overLimit(b) ? ` – ${t.cal.over}` : ''}
                </span>
              </div>
            ))}
          </div>
        ))}
      </div>
      <p role="alert" class="error">
        {refusal.value}
      </p>
      {editable && (
        <p>
          <button
            type="button"
            onClick={() =>
              send(
                t,
                () =>
                  api.appointments[':id'].$patch({
                    param: { id: String(a.id) },
                    json: changeOf(d),
                  }),
                async () => {
                  await openAppointment(a.id);
                  await load();
                },
              )
            }
          >
            {t.cfg.save}
          </button>{' '}
          <button
            type="button"
            class="secondary"
            onClick={() =>
              send(
                t,
                () => api.appointments[':id'].cancel.$post({ param: { id: String(a.id) } }),
                async () => {
                  open.value = null;
                  await load();
                },
              )
            }
          >
            {t.cal.cancel}
          </button>{' '}
          <button
            type="button"
            class="link"
            onClick={() => {
              open.value = null;
              refusal.value = '';
            }}
          >
            {t.cal.close}
          </button>
        </p>
      )}
    </section>
  );
}

type SeriesDraft = {
  client: number;
  therapist: number;
  chain?: number;
  lines?: { service: number; quantity: number }[];
  room?: number;
  packages?: number[];
  first: string;
  everyDays: number;
  count?: number;
  until?: string;
};
const seriesDraft = signal<SeriesDraft | null>(null);
const seriesCheck = signal<{
  fitting: string[];
  refused: { start: string; code: string; detail: string; extra: Record<string, unknown> }[];
} | null>(null);

/** Checks the series (nothing written), or writes all of it or the dates that fit. */
async function runSeries(t: Texts, how: 'check' | 'all' | 'fitting') {
  const body = seriesDraft.value!;
  const res = await api.appointments.series.$post({
    json: { ...body, mode: how === 'fitting' ? 'fitting' : 'all', dryRun: how === 'check' },
  });
  const answer = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) {
    refusal.value = String(answer.detail ?? answer.code ?? res.status);
    if (answer.refused) seriesCheck.value = answer as never;
    return;
  }
  refusal.value = '';
  if (how === 'check') {
    seriesCheck.value = answer as never;
    return;
  }
  seriesCheck.value = null;
  seriesDraft.value = null;
  status.value = t.cal.seriesDone((answer.appointmentIds as number[]).length);
  await load();
}

type FileRow = { id: number; firstName: string; lastName: string };

/** The files a search finds, ten at most (for choosing one in a form). */
async function findFiles(q: string): Promise<FileRow[]> {
  return (await ok<{ clients: FileRow[] }>(await api.clients.$get({ query: { q, limit: '10' } }))).clients;
}

type Candidate = {
  start: string;
  therapistId: number;
  offered: boolean;
  reason: string | null;
  text: string | null;
};
const whyFound = signal<FileRow[]>([]);
const whyAnswer = signal<Candidate[] | null>(null);

/**
 * Why not? A client file, a chain and a day: every candidate start with the reason it is offered
 * or not — busy, outside the hours, too soon, the file's package — as the engine explains it.
 */
function WhyNot({ t, data }: { t: Texts; data: Days }) {
  const name = (id: number) =>
    data.therapists.find((x) => x.id === id)?.name ??
    allTherapists.value.find((x) => x.id === id)?.name ??
    '';
  return (
    <details class="item">
      <summary>{t.cal.why}</summary>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const f = Object.fromEntries(new FormData(e.currentTarget)) as Record<string, string>;
          const res = await api.why.$get({
            query: { client: f.client ?? '', chain: f.chain ?? '', date: f.date ?? day.value },
          });
          whyAnswer.value = (await ok<{ candidates: Candidate[] }>(res)).candidates;
        }}
      >
        <div class="grid">
          <p class="field">
            <label for="why-search">{t.cal.findClientWhy}</label>
            <input
              id="why-search"
              type="search"
              onInput={async (e) => {
                const q = e.currentTarget.value;
                if (q.length >= 2) whyFound.value = await findFiles(q);
              }}
            />
          </p>
          <Choice
            id="why-client"
            label={t.cal.client}
            name="client"
            required
            options={whyFound.value.map((c) => [c.id, `${c.lastName}, ${c.firstName}`] as const)}
          />
          <Choice
            id="why-chain"
            label={t.cal.chain}
            name="chain"
            options={data.chains.map((c) => [c.id, c.name] as const)}
          />
          <p class="field">
            <label for="why-date">{t.cfg.date}</label>
            <input id="why-date" name="date" type="date" defaultValue={day.value} required />
          </p>
        </div>
        <button type="submit">{t.cal.show}</button>
      </form>
      {whyAnswer.value && (
        <table class="why">
          <thead>
            <tr>
              <th scope="col">{t.cal.time}</th>
              <th scope="col">{t.cfg.therapists}</th>
              <th scope="col">{t.cal.answer}</th>
            </tr>
          </thead>
          <tbody>
            {whyAnswer.value.map((c) => (
              <tr key={`${c.start}-${c.therapistId}`} class={c.offered ? 'offered' : ''}>
                <th scope="row">{wallClock(c.start, t.locale, { timeStyle: 'short' })}</th>
                <td>{name(c.therapistId)}</td>
                <td>
                  {c.offered ? t.cal.offered : (t.cal.reasons[c.reason as 'too_soon'] ?? c.text ?? c.reason)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </details>
  );
}

/** The files found for a new appointment, and the active packages of the one chosen. */
const found = signal<FileRow[]>([]);
const chosenPackages = signal<{ id: number; name: string }[]>([]);

async function choose(clientId: number) {
  chosenPackages.value = [];
  if (!clientId) return;
  const file = await ok<{ packages: { id: number; name: string; status: string }[] }>(
    await api.clients[':id'].$get({ param: { id: String(clientId) } }),
  );
  chosenPackages.value = file.packages.filter((p) => p.status === 'active');
}

function NewAppointment({ t, data, rights }: { t: Texts; data: Days; rights: Rights }) {
  return (
    <details class="item">
      <summary>{t.cal.newAppointment}</summary>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const form = new FormData(e.currentTarget);
          const f = Object.fromEntries(form) as Record<string, string>;
          // Packages chosen by hand, or (none ticked) found by the chain's rules as online.
          const packages = form.getAll('package').map(Number);
          const [h, m] = (f.time ?? '08:00').split(':').map(Number);
          const start = localToInstant(f.date ?? day.value, (h ?? 8) * 60 + (m ?? 0), data.timeZone);
          if (start === null) {
            refusal.value = t.cal.noSuchTime;
            return;
          }
          const what = {
            client: Number(f.client),
            therapist: Number(f.therapist),
            ...(f.chain
              ? { chain: Number(f.chain) }
              : { lines: [{ service: Number(f.service), quantity: 1 }] }),
            ...(f.room ? { room: Number(f.room) } : {}),
            ...(packages.length > 0 ? { packages } : {}),
          };
          if (f.series) {
            // A series is checked first: which dates fit, and why each other does not.
            seriesDraft.value = {
              ...what,
              first: new Date(start).toISOString(),
              everyDays: Number(f.everyDays || 7),
              // Until a date, if one is given; else so many appointments.
              ...(f.until ? { until: f.until } : { count: Number(f.count || 1) }),
            };
            await runSeries(t, 'check');
            return;
          }
          await send(
            t,
            () => api.appointments.$post({ json: { ...what, start: new Date(start).toISOString() } }),
            load,
          );
        }}
      >
        <div class="grid">
          <p class="field">
            <label for="new-client-search">{t.cal.findClient}</label>
            <input
              id="new-client-search"
              type="search"
              onInput={async (e) => {
                const q = e.currentTarget.value;
                if (q.length < 2) return;
                found.value = await findFiles(q);
                await choose(found.value[0]?.id ?? 0).catch(() => {});
              }}
            />
          </p>
          <Choice
            id="new-client"
            label={t.cal.client}
            name="client"
            required
            onChange={(v) => choose(Number(v)).catch(() => {})}
            options={found.value.map((c) => [c.id, `${c.lastName}, ${c.firstName}`] as const)}
          />
          <Choice
            id="new-chain"
            label={t.cal.chain}
            name="chain"
            empty={t.cal.freeService}
            options={data.chains.map((c) => [c.id, c.name] as const)}
          />
          <Choice
            id="new-service"
            label={t.cal.service}
            name="service"
            options={data.services.map((x) => [x.id, `${x.code} – ${x.name}`] as const)}
          />
          <Choice
            id="new-therapist"
            label={t.cfg.therapists}
            name="therapist"
            options={data.therapists.map((x) => [x.id, x.name] as const)}
          />
          <Choice
            id="new-room"
            label={t.cal.room}
            name="room"
            empty={t.cal.roomAuto}
            options={data.rooms.map((r) => [r.id, r.name] as const)}
          />
          <p class="field">
            <label for="new-date">{t.cfg.date}</label>
            <input id="new-date" name="date" type="date" defaultValue={day.value} required />
          </p>
          <p class="field">
            <label for="new-time">{t.cal.time}</label>
            <input id="new-time" name="time" type="time" defaultValue="08:00" step={300} required />
          </p>
        </div>
        {rights.editPackages && chosenPackages.value.length > 0 && (
          <fieldset class="checks">
            <legend>{t.cal.choosePackages}</legend>
            {chosenPackages.value.map((p) => (
              <label key={p.id}>
                <input type="checkbox" name="package" value={p.id} /> {p.name}
              </label>
            ))}
          </fieldset>
        )}
        <fieldset class="row limit">
          <legend>{t.cal.series}</legend>
          <p class="field check">
            <label for="new-series">{t.cal.asSeries}</label>
            <input id="new-series" name="series" type="checkbox" />
          </p>
          <p class="field">
            <label for="new-every">{t.cal.everyDays}</label>
            <input id="new-every" name="everyDays" type="number" min={1} max={365} defaultValue="7" />
          </p>
          <p class="field">
            <label for="new-count">{t.cal.count}</label>
            <input id="new-count" name="count" type="number" min={1} max={100} defaultValue="6" />
          </p>
          <p class="field">
            <label for="new-until">{t.cal.until}</label>
            <input id="new-until" name="until" type="date" />
          </p>
        </fieldset>
        <button type="submit">{t.cl.create}</button>
      </form>
      {seriesCheck.value && (
        <section class="series" aria-labelledby="series-title">
          <h3 id="series-title">
            {t.cal.seriesCheck(
              seriesCheck.value.fitting.length,
              seriesCheck.value.fitting.length + seriesCheck.value.refused.length,
            )}
          </h3>
          <ul>
            {seriesCheck.value.fitting.map((s) => (
              <li key={s}>
                {wallClock(s, t.locale, { dateStyle: 'full', timeStyle: 'short' })}: {t.cal.fits}
              </li>
            ))}
            {seriesCheck.value.refused.map((r) => (
              <li key={r.start} class="error">
                {wallClock(r.start, t.locale, { dateStyle: 'full', timeStyle: 'short' })}:{' '}
                {r.code === 'package_limit'
                  ? refusalText(t, { code: r.code, ...r.extra })
                  : r.code === 'budget_exhausted' && typeof r.extra.package === 'string'
                    ? t.cal.usedUp(r.extra.package)
                    : r.detail}
              </li>
            ))}
          </ul>
          <p>
            <button
              type="button"
              disabled={seriesCheck.value.refused.length > 0}
              onClick={() => runSeries(t, 'all')}
            >
              {t.cal.allDates}
            </button>{' '}
            <button
              type="button"
              class="secondary"
              disabled={seriesCheck.value.fitting.length === 0}
              onClick={() => runSeries(t, 'fitting')}
            >
              {t.cal.fittingDates(seriesCheck.value.fitting.length)}
            </button>
          </p>
        </section>
      )}
    </details>
  );
}

/** One column of the grid: working hours as bands, appointments as buttons placed by time. */
function Column({
  t,
  data,
  date,
  therapistId,
  roomId,
  label: heading,
}: {
  t: Texts;
  data: Days;
  date: string;
  therapistId?: number;
  roomId?: number;
  label: string;
}) {
  const th = data.therapists.find((x) => x.id === therapistId);
  const top = (iso: string) => {
    const local = new Date(iso).toLocaleString('en-GB', {
      timeZone: data.timeZone,
      hour: '2-digit',
      minute: '2-digit',
      hour12: false,
    });
    const [h, m] = local.split(':').map(Number);
    return ((h ?? 0) * 60 + (m ?? 0) - FIRST_HOUR * 60) * PX_PER_MIN;
  };
  const items = data.appointments.filter(
    (a) =>
      (roomId === undefined ? a.therapistId === therapistId : a.roomId === roomId) &&
      localDate(Date.parse(a.start), data.timeZone) === date,
  );
  return (
    <div class="col">
      <h2 class="col-head">{heading}</h2>
      <div class="col-body" style={{ height: `${(LAST_HOUR - FIRST_HOUR) * 60 * PX_PER_MIN}px` }}>
        {(roomId !== undefined
          ? [{ from: FIRST_HOUR * 60, to: LAST_HOUR * 60 }]
          : (th?.hours[date] ?? [])
        ).map((h) => (
          <div
            key={h.from}
            class="hours"
            style={{
              top: `${(h.from - FIRST_HOUR * 60) * PX_PER_MIN}px`,
              height: `${(h.to - h.from) * PX_PER_MIN}px`,
            }}
          />
        ))}
        {items.map((a) => (
          <button
            key={a.id}
            type="button"
            class={`appt ${a.status}${a.hold ? ' hold' : ''}`}
            style={{
              top: `${top(a.start)}px`,
              height: `${Math.max(18, (Date.parse(a.end) - Date.parse(a.start)) / 60_000) * PX_PER_MIN}px`,
              borderInlineStartColor: data.therapists.find((x) => x.id === a.therapistId)?.color ?? '#2f6f8f',
            }}
            disabled={a.hold}
            onClick={() => openAppointment(a.id).catch(() => {})}
          >
            {wallClock(a.start, t.locale, { timeStyle: 'short' })}{' '}
            {a.hold ? t.cal.hold : (a.client?.name ?? '')}
            <span class="hint"> {a.title}</span>
            {a.status === 'cancelled' && <span class="sr"> ({t.cl.statuses.cancelled})</span>}
          </button>
        ))}
      </div>
    </div>
  );
}

export function Calendar({
  t,
  head,
  rights,
}: {
  t: Texts;
  head: preact.Ref<HTMLHeadingElement>;
  rights: Rights;
}) {
  useEffect(() => {
    load().catch(() => {});
    loadTherapistChoice().catch(() => {});
  }, []);
  const data = days.value;
  const go = (n: number) => show(day, addDays(day.value, weekly() ? 7 * n : n));
  const from = weekly() ? monday(day.value) : day.value;
  const dates = weekly() ? Array.from({ length: 7 }, (_, i) => addDays(from, i)) : [day.value];
  const dayName = (d: string) =>
    new Date(`${d}T12:00:00Z`).toLocaleDateString(t.locale, {
      weekday: 'short',
      day: 'numeric',
      month: 'numeric',
      timeZone: 'UTC',
    });
  return (
    <>
      <h1 tabIndex={-1} ref={head}>
        {t.cal.title}
      </h1>
      <div class="toolbar">
        <button type="button" class="secondary" onClick={() => go(-1)}>
          ← {weekly() ? t.cal.prevWeek : t.cal.prevDay}
        </button>
        <button
          type="button"
          class="secondary"
          onClick={() => show(day, localDate(Date.now(), practiceZone.value))}
        >
          {t.cal.today}
        </button>
        <button type="button" class="secondary" onClick={() => go(1)}>
          {weekly() ? t.cal.nextWeek : t.cal.nextDay} →
        </button>
        <Choice
          id="cal-view"
          label={t.cal.view}
          value={view.value}
          options={[
            ['week', t.cal.week],
            ['day', t.cal.day],
            ['rooms', t.cal.rooms],
            ['roomWeek', t.cal.roomWeek],
          ]}
          onChange={(v) => show(view, v as typeof view.value)}
        />
        {view.value === 'week' && data && (
          <Choice
            id="cal-therapist"
            label={t.cfg.therapists}
            value={String(therapist.value ?? '')}
            options={(allTherapists.value.length ? allTherapists.value : data.therapists).map((x) => [
              x.id,
              x.name,
            ])}
            onChange={(v) => show(therapist, Number(v))}
          />
        )}
        {view.value === 'roomWeek' && data && (
          <Choice
            id="cal-room"
            label={t.cal.room}
            value={String(room.value ?? '')}
            options={data.rooms.map((r) => [r.id, r.name])}
            onChange={(v) => show(room, Number(v))}
          />
        )}
      </div>
      <p class="hint">
        {weekly() ? t.cal.weekOf(dayName(dates[0]!), dayName(dates[6]!)) : dayName(day.value)} ·{' '}
        {t.cal.arrows}
      </p>
      {!data ? (
        <p>{t.loading}</p>
      ) : (
        <section
          class="cal"
          // biome-ignore lint/a11y/noNoninteractiveTabindex: it scrolls sideways on a narrow screen, so it must be reachable by keyboard (axe: scrollable-region-focusable)
          tabIndex={0}
          aria-label={weekly() ? t.cal.weekOf(dayName(dates[0]!), dayName(dates[6]!)) : dayName(day.value)}
          onKeyDown={arrowKeys}
        >
          <div class="times" aria-hidden="true">
            {Array.from({ length: LAST_HOUR - FIRST_HOUR }, (_, i) => (
              <div key={i} style={{ height: `${60 * PX_PER_MIN}px` }}>
                {String(FIRST_HOUR + i).padStart(2, '0')}:00
              </div>
            ))}
          </div>
          {view.value === 'roomWeek'
            ? dates.map((d) => (
                <Column key={d} t={t} data={data} date={d} roomId={room.value ?? 0} label={dayName(d)} />
              ))
            : view.value === 'week'
              ? dates.map((d) => (
                  <Column
                    key={d}
                    t={t}
                    data={data}
                    date={d}
                    therapistId={therapist.value ?? 0}
                    label={dayName(d)}
                  />
                ))
              : view.value === 'rooms'
                ? data.rooms.map((r) => (
                    <Column key={r.id} t={t} data={data} date={day.value} roomId={r.id} label={r.name} />
                  ))
                : data.therapists.map((x) => (
                    <Column key={x.id} t={t} data={data} date={day.value} therapistId={x.id} label={x.name} />
                  ))}
        </section>
      )}
      {open.value && data && <Editor t={t} d={open.value} data={data} rights={rights} />}
      {data && <NewAppointment t={t} data={data} rights={rights} />}
      {data && <WhyNot t={t} data={data} />}
      {!open.value && (
        <p role="alert" class="error">
          {refusal.value}
        </p>
      )}
    </>
  );
}

/**
 * Arrow keys in the grid: up and down to the appointment before or after in the same column, left
 * and right to the nearest one in time in the next column that has any; from the grid itself, down
 * to the first appointment.
 */
function arrowKeys(e: KeyboardEvent) {
  if (!['ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight'].includes(e.key)) return;
  const grid = e.currentTarget as HTMLElement;
  const columns = [...grid.querySelectorAll<HTMLElement>('.col')].map((c) => [
    ...c.querySelectorAll<HTMLButtonElement>('button.appt:not(:disabled)'),
  ]);
  const here = e.target as HTMLElement;
  const ci = columns.findIndex((c) => c.includes(here as HTMLButtonElement));
  let next: HTMLButtonElement | undefined;
  if (ci < 0) next = e.key === 'ArrowDown' || e.key === 'ArrowRight' ? columns.flat()[0] : undefined;
  else {
    const column = columns[ci]!;
    const i = column.indexOf(here as HTMLButtonElement);
    if (e.key === 'ArrowDown') next = column[i + 1];
    else if (e.key === 'ArrowUp') next = column[i - 1];
    else {
      const step = e.key === 'ArrowRight' ? 1 : -1;
      for (let j = ci + step; j >= 0 && j < columns.length && !next; j += step) {
        const c = columns[j]!;
        next = c.reduce<HTMLButtonElement | undefined>(
          (best, b) =>
            !best || Math.abs(b.offsetTop - here.offsetTop) < Math.abs(best.offsetTop - here.offsetTop)
              ? b
              : best,
          undefined,
        );
      }
    }
  }
  if (next) {
    e.preventDefault();
    next.focus();
  }
}

/** Every therapist, for the week view's choice (the week's answer holds only the chosen one). */
const allTherapists = signal<{ id: number; name: string }[]>([]);
export async function loadTherapistChoice() {
  const today = localDate(Date.now(), practiceZone.value);
  const res = await api.calendar.$get({ query: { from: today, to: today } });
  allTherapists.value = (await ok<Days>(res)).therapists.map((x) => ({ id: x.id, name: x.name }));
}
