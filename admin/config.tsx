/**
 * The practice's configuration in the browser (admins): settings and online booking, therapists
 * with hours and exceptions, rooms, services, package templates, service chains, the embed page
 * and the change history. Every page edits one draft of the practice document and saves it whole
 * (PUT /practice/document with the ETag it was loaded at): the server checks it with the same
 * schema as `practice:import`, writes only the differences, and names every problem with its path,
 * which ties it to the field of that path here.
 */
import { signal } from '@preact/signals';
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { DEFAULT_ONLINE_LIMITS, type OnlineLimits } from '../shared/onlineLimits.ts';
import { api, error, ok, type Problem, status, wallClock } from './api.ts';
import type { Texts } from './texts.ts';

// biome-ignore lint/suspicious/noExplicitAny: the draft is the practice document as JSON; the server checks it.
type Doc = Record<string, any>;
type Issue = { path: string; message: string };
type Change = {
  entity: string;
  key: string;
  action: string;
  fields?: Record<string, { before: unknown; after: unknown }>;
};

export type ConfigPage =
  | 'settings'
  | 'therapists'
  | 'rooms'
  | 'services'
  | 'templates'
  | 'chains'
  | 'embed'
  | 'history';

const draft = signal<Doc | null>(null);
const etag = signal<string | null>(null);
const issues = signal<Issue[]>([]);
const stale = signal(false);
const dirty = signal(false);

export async function loadDocument() {
  const res = await api.practice.document.$get();
  const doc = await ok<Doc>(res);
  draft.value = doc;
  etag.value = res.headers.get('etag');
  issues.value = [];
  stale.value = false;
  dirty.value = false;
}

/** `services[2].priceCents` → ['services', 2, 'priceCents'] (the server's error paths). */
const segments = (path: string) =>
  path
    .split(/[.[\]]/)
    .filter(Boolean)
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));

function get(path: string): unknown {
  // biome-ignore lint/suspicious/noExplicitAny: walking JSON.
  return segments(path).reduce<any>((o, k) => (o == null ? undefined : o[k]), draft.value);
}

/** Changes the draft at `path` (a new draft object, so that it renders); undefined removes the key. */
export function set(path: string, value: unknown) {
  const doc = structuredClone(draft.value) as Doc;
  const keys = segments(path);
  // biome-ignore lint/suspicious/noExplicitAny: walking JSON.
  let o: any = doc;
  for (const [i, k] of keys.slice(0, -1).entries()) {
    if (o[k] == null) o[k] = typeof keys[i + 1] === 'number' ? [] : {};
    o = o[k];
  }
  const last = keys[keys.length - 1]!;
  if (value === undefined) {
    delete o[last];
    // An object left empty (a limit whose both fields were cleared) goes too: the default holds.
    if (keys.length > 1 && !Array.isArray(o) && Object.keys(o).length === 0) {
      draft.value = doc;
      set(keys.slice(0, -1).join('.'), undefined);
      return;
    }
  } else o[last] = value;
  draft.value = doc;
  dirty.value = true;
}

const list = (path: string) => (get(path) as Doc[] | undefined) ?? [];
const push = (path: string, item: unknown) => set(path, [...list(path), item]);
const removeAt = (path: string, i: number) =>
  set(
    path,
    list(path).filter((_, j) => j !== i),
  );
const move = (path: string, i: number, by: number) => {
  const items = [...list(path)];
  const [item] = items.splice(i, 1);
  items.splice(i + by, 0, item!);
  set(path, items);
};

const fieldId = (path: string) => `f-${path.replace(/[^A-Za-z0-9_-]/g, '_')}`;
const issuesAt = (path: string) => issues.value.filter((i) => i.path === path);

type Kind =
  | 'text'
  | 'number'
  | 'cents'
  | 'check'
  | 'time'
  | 'date'
  | 'color'
  | 'textarea'
  | 'lines'
  | 'select';

/** Cents as the practice reads amounts: 95,00 in German, 95.00 in English. */
let decimalComma = true;
const euros = (cents: number) => {
  const s = (cents / 100).toFixed(2);
  return decimalComma ? s.replace('.', ',') : s;
};

const inputType = (kind: Kind) =>
  kind === 'number' || kind === 'time' || kind === 'date' || kind === 'color' ? kind : 'text';

/** One field of the draft at `path`, with its label and the server's problems at that path. */
function F(props: {
  path: string;
  label: string;
  kind?: Kind;
  options?: [value: string, label: string][];
  optional?: boolean;
  hint?: string;
}) {
  const { path, label, kind = 'text', options = [], optional, hint } = props;
  const id = fieldId(path);
  const problems = issuesAt(path);
  const value = get(path);
  const described = [problems.length > 0 ? `${id}-err` : '', hint ? `${id}-hint` : '']
    .filter(Boolean)
    .join(' ');
  const common = {
    id,
    'aria-invalid': problems.length > 0 ? ('true' as const) : undefined,
    'aria-describedby': described || undefined,
  };
  const number = (raw: string) =>
    raw.trim() === '' ? undefined : Number.isNaN(Number(raw)) ? raw : Number(raw);
  let input: ComponentChildren;
  switch (kind) {
    case 'check':
      input = (
        <input
          {...common}
          type="checkbox"
          checked={value === true}
          onChange={(e) => set(path, e.currentTarget.checked)}
        />
      );
      break;
    case 'select':
      input = (
        <select
          {...common}
          value={String(value ?? '')}
          onChange={(e) => set(path, e.currentTarget.value || undefined)}
        >
          {optional && <option value="">–</option>}
          {options.map(([v, l]) => (
            <option key={v} value={v}>
              {l}
            </option>
          ))}
        </select>
      );
      break;
    case 'textarea':
    case 'lines':
      input = (
        <textarea
          {...common}
          rows={kind === 'lines' ? 3 : 4}
          value={kind === 'lines' ? ((value as string[] | undefined) ?? []).join('\n') : String(value ?? '')}
          onChange={(e) => {
            const v = e.currentTarget.value;
            set(
              path,
              kind === 'lines'
                ? v
                    .split('\n')
                    .map((s) => s.trim())
                    .filter(Boolean)
                : v,
            );
          }}
        />
      );
      break;
    default: {
      const shown =
        value === undefined || value === null
          ? ''
          : kind === 'cents' && typeof value === 'number'
            ? euros(value)
            : String(value);
      input = (
        <input
          {...common}
          type={inputType(kind) as 'text'}
          inputMode={kind === 'cents' ? 'decimal' : undefined}
          required={!optional && kind !== 'color'}
          value={shown}
          onChange={(e) => {
            const raw = e.currentTarget.value;
            if (kind === 'number') set(path, number(raw));
            else if (kind === 'cents') {
              const euros = number(raw.replace(',', '.'));
              set(path, typeof euros === 'number' ? Math.round(euros * 100) : euros);
            } else set(path, raw === '' && optional ? undefined : raw);
          }}
        />
      );
    }
  }
  return (
    <p class={kind === 'check' ? 'field check' : 'field'}>
      <label for={id}>{label}</label>
      {input}
      {hint && (
        <span id={`${id}-hint`} class="hint">
          {hint}
        </span>
      )}
      {problems.length > 0 && (
        <span id={`${id}-err`} class="field-error">
          {problems.map((p) => p.message).join('; ')}
        </span>
      )}
    </p>
  );
}

/** Saves the draft: the server writes the differences or names every problem. */
async function save(t: Texts) {
  const res = await api.practice.document.$put({
    query: { lang: t.locale.startsWith('de') ? 'de' : 'en' },
    header: etag.value ? { 'if-match': etag.value } : {},
    json: draft.value!,
  });
  try {
    const done = await ok<{ changes: Change[]; applied: boolean }>(res);
    issues.value = [];
    status.value = done.applied ? t.cfg.savedChanges(done.changes.length) : t.cfg.noChanges;
    await loadDocument();
  } catch (e) {
    const p = e as Problem;
    if (p.code === 'config_changed') stale.value = true;
    issues.value = p.errors ?? [];
    error.value = p.errors ? t.cfg.problems(p.errors.length) : (p.detail ?? String(p.status));
  }
}

function SaveBar({ t }: { t: Texts }) {
  return (
    <div class="savebar">
      <button type="button" onClick={() => save(t)}>
        {t.cfg.save}
      </button>{' '}
      <button
        type="button"
        class="secondary"
        disabled={!dirty.value}
        onClick={() => loadDocument().catch(() => {})}
      >
        {t.cfg.discard}
      </button>
      {stale.value && (
        <p class="error">
          {t.cfg.stale}{' '}
          <button type="button" class="link" onClick={() => loadDocument().catch(() => {})}>
            {t.cfg.reload}
          </button>
        </p>
      )}
      {issues.value.length > 0 && (
        <ul class="issues">
          {issues.value.map((i) => (
            <li key={`${i.path}:${i.message}`}>
              <a href={`#${fieldId(i.path)}`}>{i.path}</a>: {i.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

/** A button that says what it does to which entity, also to a screen reader. */
function Action({ label, of, onClick }: { label: string; of: string; onClick: () => void }) {
  return (
    <button type="button" class="secondary" onClick={onClick}>
      {label}
      <span class="sr">: {of}</span>
    </button>
  );
}

/**
 * The entities of a top-level list (therapists, rooms, …), each folded to its name (a long list
 * stays short) and open when it is new or the server named a problem in it; with an add button.
 */
function Entities({
  path,
  t,
  add,
  blank,
  orderable,
  children,
}: {
  path: string;
  t: Texts;
  add: string;
  blank: () => Doc;
  orderable?: boolean;
  children: (p: string, item: Doc) => ComponentChildren;
}) {
  const items = list(path);
  return (
    <>
      {items.map((item, i) => (
        <Entity key={i} path={`${path}[${i}]`} name={String(item.name ?? '')} t={t}>
          {children(`${path}[${i}]`, item)}
          <p class="actions">
            {orderable && i > 0 && (
              <Action label={t.cfg.up} of={item.name} onClick={() => move(path, i, -1)} />
            )}{' '}
            {orderable && i < items.length - 1 && (
              <Action label={t.cfg.down} of={item.name} onClick={() => move(path, i, 1)} />
            )}{' '}
            <Action label={t.cfg.remove} of={item.name} onClick={() => removeAt(path, i)} />
          </p>
        </Entity>
      ))}
      <button type="button" class="secondary" onClick={() => push(path, blank())}>
        {add}
      </button>
    </>
  );
}

function Entity({
  path,
  name,
  t,
  children,
}: {
  path: string;
  name: string;
  t: Texts;
  children: ComponentChildren;
}) {
  const [open, setOpen] = useState(name === '');
  const problem = issues.value.some((i) => i.path === path || i.path.startsWith(`${path}.`));
  return (
    <details class="item" open={open || problem} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>{name || t.cfg.newItem}</summary>
      <div class="grid">{children}</div>
    </details>
  );
}

/** The rows of a list inside an entity (hours, exceptions, lines, limits, rules), with an add button. */
function Rows({
  path,
  heading,
  add,
  blank,
  t,
  children,
}: {
  path: string;
  heading: string;
  add: string;
  blank: () => Doc;
  t: Texts;
  children: (p: string) => ComponentChildren;
}) {
  return (
    <div class="sub">
      <h2>{heading}</h2>
      {list(path).map((_, j) => (
        <div class="row" key={j}>
          {children(`${path}[${j}]`)}
          <Action label={t.cfg.remove} of={`${heading} ${j + 1}`} onClick={() => removeAt(path, j)} />
        </div>
      ))}
      <button type="button" class="secondary" onClick={() => push(path, blank())}>
        {add}
      </button>
    </div>
  );
}

function Settings({ t }: { t: Texts }) {
  const b = 'practice.booking';
  return (
    <>
      <h2>{t.cfg.practice}</h2>
      <div class="grid">
        <F path="practice.name" label={t.name} />
        <F path="practice.contactEmail" label={t.cfg.contactEmail} optional />
        <F path="practice.timeZone" label={t.cfg.timeZone} />
      </div>
      <h2>{t.cfg.online}</h2>
      <div class="grid">
        <F path={`${b}.enabled`} label={t.cfg.enabled} kind="check" />
        <F
          path={`${b}.slotMode`}
          label={t.cfg.slotMode}
          kind="select"
          options={[
            ['grid', t.cfg.grid],
            ['compact', t.cfg.compact],
          ]}
        />
        <F path={`${b}.slotStepMinutes`} label={t.cfg.step} kind="number" />
        <F path={`${b}.minNoticeMinutes`} label={t.cfg.notice} kind="number" />
        <F path={`${b}.bookingWindowDays`} label={t.cfg.window} kind="number" />
        <F path={`${b}.cancelDeadlineMinutes`} label={t.cfg.cancelDeadline} kind="number" />
        <F path={`${b}.holdMinutes`} label={t.cfg.hold} kind="number" />
        <F path={`${b}.maxOpenOnlineBookings`} label={t.cfg.maxOpen} kind="number" />
        <F path={`${b}.mailNamesService`} label={t.cfg.mailNamesService} kind="check" />
        <F path={`${b}.privacyNoticeUrl`} label={t.cfg.privacy} optional />
        <F path={`${b}.allowedOrigins`} label={t.cfg.origins} kind="lines" hint={t.cfg.originsHint} />
      </div>
      <h2>{t.cfg.limits}</h2>
      <p class="hint">{t.cfg.limitsHint}</p>
      {(Object.keys(DEFAULT_ONLINE_LIMITS) as (keyof OnlineLimits)[]).map((k) => {
        const d = DEFAULT_ONLINE_LIMITS[k];
        const path = `${b}.limits.${k}`;
        return typeof d === 'number' ? (
          <div class="row" key={k}>
            <F
              path={path}
              label={t.cfg.limitNames[k]}
              kind="number"
              optional
              hint={t.cfg.byDefault(String(d))}
            />
          </div>
        ) : (
          <fieldset class="row limit" key={k}>
            <legend>{t.cfg.limitNames[k]}</legend>
            <F path={`${path}.count`} label={t.cfg.count} kind="number" optional />
            <F path={`${path}.minutes`} label={t.cfg.perMinutes} kind="number" optional />
            <span class="hint">{t.cfg.byDefault(t.cfg.window_(d.count, d.minutes))}</span>
          </fieldset>
        );
      })}
    </>
  );
}

function Therapists({ t }: { t: Texts }) {
  const users = list('users').map((u) => [u.email, `${u.name} (${u.email})`] as [string, string]);
  return (
    <Entities
      path="therapists"
      t={t}
      add={t.cfg.addTherapist}
      blank={() => ({ key: '', name: '', onlineBookable: true, color: '#2f6f8f', hours: [] })}
    >
      {(p) => (
        <>
          <F path={`${p}.key`} label={t.cfg.key} />
          <F path={`${p}.name`} label={t.name} />
          <F path={`${p}.color`} label={t.cfg.color} kind="color" />
          <F path={`${p}.onlineBookable`} label={t.cfg.bookableOnline} kind="check" />
          <F path={`${p}.user`} label={t.cfg.user} kind="select" options={users} optional />
          <Rows
            path={`${p}.hours`}
            heading={t.cfg.hours}
            add={t.cfg.addHours}
            blank={() => ({ weekday: 'mon', from: '08:00', to: '12:00' })}
            t={t}
          >
            {(h) => (
              <>
                <F
                  path={`${h}.weekday`}
                  label={t.cfg.weekday}
                  kind="select"
                  options={WEEKDAYS.map((w, k) => [w, t.cfg.weekdays[k]!])}
                />
                <F path={`${h}.from`} label={t.cfg.from} kind="time" />
                <F path={`${h}.to`} label={t.cfg.to} kind="time" />
              </>
            )}
          </Rows>
          <Rows
            path={`${p}.exceptions`}
            heading={t.cfg.exceptions}
            add={t.cfg.addException}
            blank={() => ({ date: '', kind: 'closed' })}
            t={t}
          >
            {(e) => (
              <>
                <F path={`${e}.date`} label={t.cfg.date} kind="date" />
                <F
                  path={`${e}.kind`}
                  label={t.cfg.kind}
                  kind="select"
                  options={[
                    ['closed', t.cfg.closed],
                    ['open', t.cfg.open],
                  ]}
                />
                <F path={`${e}.from`} label={t.cfg.from} kind="time" optional />
                <F path={`${e}.to`} label={t.cfg.to} kind="time" optional />
                <F path={`${e}.note`} label={t.cfg.note} optional />
              </>
            )}
          </Rows>
        </>
      )}
    </Entities>
  );
}

function Rooms({ t }: { t: Texts }) {
  return (
    <Entities path="rooms" t={t} add={t.cfg.addRoom} blank={() => ({ key: '', name: '' })}>
      {(p) => (
        <>
          <F path={`${p}.key`} label={t.cfg.key} />
          <F path={`${p}.name`} label={t.name} />
        </>
      )}
    </Entities>
  );
}

function Services({ t }: { t: Texts }) {
  return (
    <Entities
      path="services"
      t={t}
      add={t.cfg.addService}
      blank={() => ({ code: '', name: '', priceCents: 0, durationMinutes: 30 })}
    >
      {(p) => (
        <>
          <F path={`${p}.code`} label={t.cfg.code} />
          <F path={`${p}.name`} label={t.name} />
          <F path={`${p}.priceCents`} label={t.cfg.price} kind="cents" />
          <F path={`${p}.durationMinutes`} label={t.cfg.duration} kind="number" />
        </>
      )}
    </Entities>
  );
}

const codes = () => list('services').map((s) => [s.code, `${s.code} – ${s.name}`] as [string, string]);

function Templates({ t }: { t: Texts }) {
  return (
    <Entities
      path="packageTemplates"
      t={t}
      add={t.cfg.addTemplate}
      blank={() => ({
        key: '',
        name: '',
        limits: { maxAppointments: 6, codes: [] },
        validity: { kind: 'none' },
      })}
    >
      {(p, tp) => (
        <>
          <F path={`${p}.key`} label={t.cfg.key} />
          <F path={`${p}.name`} label={t.name} />
          <F path={`${p}.limits.maxAppointments`} label={t.cfg.maxAppointments} kind="number" optional />
          <F path={`${p}.limits.maxAmountCents`} label={t.cfg.maxAmount} kind="cents" optional />
          <F
            path={`${p}.validity.kind`}
            label={t.validity}
            kind="select"
            options={[
              ['none', t.unlimited],
              ['days', t.cfg.validDays],
              ['calendar_year', t.calendarYear],
            ]}
          />
          {tp.validity?.kind === 'days' && <F path={`${p}.validity.days`} label={t.cfg.days} kind="number" />}
          <Rows
            path={`${p}.limits.codes`}
            heading={t.cfg.codeLimits}
            add={t.cfg.addCodeLimit}
            blank={() => ({ code: codes()[0]?.[0] ?? '', maxQuantity: 1 })}
            t={t}
          >
            {(c) => (
              <>
                <F path={`${c}.code`} label={t.cfg.code} kind="select" options={codes()} />
                <F path={`${c}.maxQuantity`} label={t.cfg.maxQuantity} kind="number" optional />
                <F path={`${c}.maxAmountCents`} label={t.cfg.maxAmount} kind="cents" optional />
              </>
            )}
          </Rows>
        </>
      )}
    </Entities>
  );
}

const STATES = ['absent', 'present', 'exhausted', 'excluded'] as const;

/** A set of checkboxes for the values of an array at `path`. */
function Checks({ path, legend, options }: { path: string; legend: string; options: [string, string][] }) {
  const values = (get(path) as string[] | undefined) ?? [];
  const problems = issuesAt(path);
  return (
    <fieldset class="checks" id={fieldId(path)}>
      <legend>{legend}</legend>
      {options.map(([v, l]) => (
        <label key={v}>
          <input
            type="checkbox"
            checked={values.includes(v)}
            onChange={(e) =>
              set(path, e.currentTarget.checked ? [...values, v] : values.filter((x) => x !== v))
            }
          />{' '}
          {l}
        </label>
      ))}
      {problems.length > 0 && <span class="field-error">{problems.map((p) => p.message).join('; ')}</span>}
    </fieldset>
  );
}

function Chains({ t, plan }: { t: Texts; plan: string }) {
  const templates = list('packageTemplates').map((tp) => [tp.key, tp.name] as [string, string]);
  const packagesAllowed = ['L', 'XL', 'XXL'].includes(plan);
  return (
    <Entities
      path="chains"
      t={t}
      add={t.cfg.addChain}
      orderable
      blank={() => ({
        key: '',
        name: '',
        description: '',
        lines: [{ code: codes()[0]?.[0] ?? '', quantity: 1 }],
        therapists: [],
        onlineBookable: true,
        needsRoom: false,
        bufferAfterMinutes: 0,
        packageRules: [],
      })}
    >
      {(p) => (
        <>
          <F path={`${p}.key`} label={t.cfg.key} />
          <F path={`${p}.name`} label={t.name} />
          <F
            path={`${p}.description`}
            label={t.cfg.description}
            kind="textarea"
            hint={t.cfg.descriptionHint}
          />
          <F path={`${p}.onlineBookable`} label={t.cfg.bookableOnline} kind="check" />
          <F path={`${p}.durationMinutes`} label={t.cfg.durationOverride} kind="number" optional />
          <F path={`${p}.bufferAfterMinutes`} label={t.cfg.buffer} kind="number" />
          <F path={`${p}.needsRoom`} label={t.cfg.needsRoom} kind="check" />
          <F path={`${p}.minAge`} label={t.cfg.minAge} kind="number" optional />
          <F path={`${p}.maxAge`} label={t.cfg.maxAge} kind="number" optional />
          <F path={`${p}.minNoticeMinutes`} label={t.cfg.notice} kind="number" optional />
          <F path={`${p}.bookingWindowDays`} label={t.cfg.window} kind="number" optional />
          <div class="sub">
            <Checks
              path={`${p}.therapists`}
              legend={t.cfg.therapists}
              options={list('therapists').map((th) => [th.key, th.name])}
            />
          </div>
          <Rows
            path={`${p}.lines`}
            heading={t.cfg.lines}
            add={t.cfg.addLine}
            blank={() => ({ code: codes()[0]?.[0] ?? '', quantity: 1 })}
            t={t}
          >
            {(l) => (
              <>
                <F path={`${l}.code`} label={t.cfg.code} kind="select" options={codes()} />
                <F path={`${l}.quantity`} label={t.cfg.quantity} kind="number" />
              </>
            )}
          </Rows>
          {packagesAllowed ? (
            <Rows
              path={`${p}.packageRules`}
              heading={t.cfg.rules}
              add={t.cfg.addRule}
              blank={() => ({
                template: templates[0]?.[0] ?? '',
                offeredWhen: ['absent', 'present'],
                createOnBooking: [],
              })}
              t={t}
            >
              {(r) => (
                <>
                  <F path={`${r}.template`} label={t.templates} kind="select" options={templates} />
                  <Checks
                    path={`${r}.offeredWhen`}
                    legend={t.cfg.offeredWhen}
                    options={STATES.map((s) => [s, t.cfg.states[s]])}
                  />
                  <Checks
                    path={`${r}.createOnBooking`}
                    legend={t.cfg.createOnBooking}
                    options={(['absent', 'exhausted'] as const).map((s) => [s, t.cfg.states[s]])}
                  />
                </>
              )}
            </Rows>
          ) : (
            <div class="sub">
              <h2>{t.cfg.rules}</h2>
              <p>{t.planL}</p>
            </div>
          )}
        </>
      )}
    </Entities>
  );
}

/** The snippet for the practice's website, and the widget itself as the website will show it. */
function Embed({ t, slug }: { t: Texts; slug: string }) {
  const preview = useRef<HTMLDivElement>(null);
  const snippet = `<script src="${location.origin}/widget.js" type="module" async></script>\n<terminkette-booking practice="${slug}"></terminkette-booking>`;
  useEffect(() => {
    if (!document.querySelector('script[data-widget]')) {
      const s = document.createElement('script');
      s.type = 'module';
      s.src = '/widget.js';
      s.dataset.widget = '';
      document.head.append(s);
    }
    const el = document.createElement('terminkette-booking');
    el.setAttribute('practice', slug);
    el.setAttribute('lang', document.documentElement.lang);
    preview.current?.replaceChildren(el);
  }, [slug]);
  return (
    <div class="embed">
      <div>
        <p>{t.cfg.embedIntro}</p>
        <p class="field">
          <label for="snippet">{t.cfg.snippet}</label>
          <textarea id="snippet" readOnly rows={5} value={snippet} />
        </p>
        <button
          type="button"
          onClick={() => navigator.clipboard?.writeText(snippet).then(() => (status.value = t.cfg.copied))}
        >
          {t.cfg.copy}
        </button>
      </div>
      <div>
        <h2>{t.cfg.preview}</h2>
        <p class="hint">{t.cfg.previewHint}</p>
        <div class="preview" ref={preview} />
      </div>
    </div>
  );
}

type HistoryRecord = {
  id: number;
  at: string;
  source: 'admin' | 'import';
  user: { name: string; email: string } | null;
  changes: Change[];
};
const history = signal<HistoryRecord[] | null>(null);

function History({ t }: { t: Texts }) {
  useEffect(() => {
    api.changes
      .$get({ query: {} })
      .then((res) => ok<{ changes: HistoryRecord[] }>(res))
      .then((b) => (history.value = b.changes))
      .catch(() => {});
  }, []);
  if (history.value === null) return <p>{t.loading}</p>;
  if (history.value.length === 0) return <p>{t.cfg.noHistory}</p>;
  const show = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
  return (
    <ol class="history">
      {history.value.map((h) => (
        <li key={h.id}>
          <p>
            <strong>{wallClock(h.at, t.locale)}</strong> · {h.user ? h.user.name : t.cfg.byImport}
          </p>
          <ul>
            {h.changes.map((c, i) => (
              <li key={i}>
                {t.cfg.entities[c.entity as keyof Texts['cfg']['entities']] ?? c.entity} <code>{c.key}</code>{' '}
                {t.cfg.actions[c.action as keyof Texts['cfg']['actions']] ?? c.action}
                {c.fields && (
                  <ul>
                    {Object.entries(c.fields).map(([f, d]) => (
                      <li key={f}>
                        {f}: <del>{show(d.before)}</del> → <ins>{show(d.after)}</ins>
                      </li>
                    ))}
                  </ul>
                )}
              </li>
            ))}
          </ul>
        </li>
      ))}
    </ol>
  );
}

export const configPages = (t: Texts, plan: string): [ConfigPage, string][] => [
  ['settings', t.cfg.pages.settings],
  ['therapists', t.cfg.pages.therapists],
  ['rooms', t.cfg.pages.rooms],
  ['services', t.cfg.pages.services],
  ...(['L', 'XL', 'XXL'].includes(plan) ? [['templates', t.templates] as [ConfigPage, string]] : []),
  ['chains', t.cfg.pages.chains],
  ['embed', t.cfg.pages.embed],
  ['history', t.cfg.pages.history],
];

/** One configuration page; the editing ones with the save bar. */
export function Configuration({
  t,
  which,
  plan,
  slug,
}: {
  t: Texts;
  which: ConfigPage;
  plan: string;
  slug: string;
}) {
  decimalComma = t.locale.startsWith('de');
  useEffect(() => {
    if (draft.value === null) loadDocument().catch(() => {});
  }, []);
  if (which === 'embed') return <Embed t={t} slug={slug} />;
  if (which === 'history') return <History t={t} />;
  if (draft.value === null) return <p>{error.value ? '' : t.loading}</p>;
  const Page = {
    settings: Settings,
    therapists: Therapists,
    rooms: Rooms,
    services: Services,
    templates: Templates,
  }[which as 'settings'];
  return (
    <form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        save(t);
      }}
    >
      {which === 'chains' ? <Chains t={t} plan={plan} /> : <Page t={t} />}
      <SaveBar t={t} />
    </form>
  );
}
