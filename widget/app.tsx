/** The booking flow's screens. They read the instance's flow (flow.ts) and call its actions. */
import type { Signal } from '@preact/signals';
import type { InputHTMLAttributes } from 'preact';
import { useEffect, useId, useLayoutEffect, useReducer, useRef, useState } from 'preact/hooks';
import { type ChainInfo, type Flow, whoOf } from './flow.ts';
import { addDays, clock, dateOf, dayName, monday, money, visitorZone, weekOf } from './format.ts';
import { type Texts, texts } from './texts.ts';

type P = { f: Flow; t: Texts };
type Head = { head: preact.Ref<HTMLHeadingElement> };

export function Widget({ f, mode }: { f: Flow; mode: string | null }) {
  const t = texts(f.o.lang);
  const dialog = useRef<HTMLDialogElement>(null);
  const opener = useRef<HTMLButtonElement>(null);
  const steps = <Steps f={f} t={t} />;
  if (mode !== 'button') return <div class="r">{steps}</div>;
  return (
    <div class="r">
      <button type="button" class="go" ref={opener} onClick={() => dialog.current?.showModal()}>
        {t.book}
      </button>
      <dialog ref={dialog} aria-label={t.book} onClose={() => opener.current?.focus()}>
        <button type="button" class="x" onClick={() => dialog.current?.close()}>
          {t.close}
        </button>
        {steps}
      </dialog>
    </div>
  );
}

function Steps({ f, t }: P) {
  const head = useRef<HTMLHeadingElement>(null);
  const step = f.step.value;
  const first = useRef(true);
  // Focus moves to the heading of a new step — never on the page's first render, nor when the page
  // named the chain (the page is not scrolled to the widget as it loads) — before paint, in the
  // same task as the step appears: after it, a key pressed meanwhile went to the old focus, and
  // what was typed into the new step's first field was lost when the heading took the focus.
  useLayoutEffect(() => {
    if (first.current || f.unasked) {
      first.current = false;
      f.unasked = false;
    } else head.current?.focus();
  }, [step]);
  const p = { f, t, head };
  return (
    <>
      <p class="sr" role="status">
        {f.busy.value ? t.loading : f.say.value}
      </p>
      <p class="err" role="alert">
        {f.error.value}
      </p>
      {step === 'chains' ? (
        <Chains {...p} />
      ) : step === 'times' ? (
        <Times {...p} />
      ) : step === 'details' ? (
        <Details {...p} />
      ) : (
        <Done {...p} />
      )}
    </>
  );
}

function Field({
  label,
  v,
  ...rest
}: { label: string; v: Signal<string> } & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  return (
    <p class="fl">
      <label for={id}>{label}</label>
      <input id={id} value={v.value} onInput={(e) => (v.value = e.currentTarget.value)} required {...rest} />
    </p>
  );
}

const submit = (go: () => unknown) => (e: Event) => {
  e.preventDefault();
  go();
};

function Back({ f, t, to }: P & { to: 'chains' | 'times' }) {
  return (
    <button type="button" class="ln" onClick={() => f.back(to)}>
      ← {t.back}
    </button>
  );
}

/** "Dienstag, 1. Dezember 2026, 09:30 Uhr, 50 Minuten" (and the therapist where there is one). */
function when(f: Flow, t: Texts, minute: number, duration: number, who?: string) {
  const tz = f.zone();
  const ms = minute * 60_000;
  return `${dayName(f.o.lang, dateOf(tz, ms))}, ${clock(f.o.lang, tz, ms)}${t.oclock}, ${t.min(duration)}${who ? `, ${t.at} ${who}` : ''}`;
}

function Chains({ f, t, head }: P & Head) {
  const list = f.list.value;
  return (
    <section>
      <h2 tabIndex={-1} ref={head}>
        {t.chains}
      </h2>
      <Identify f={f} t={t} />
      <ul class="ch">
        {list?.chains.map((c) => (
          <li key={c.id}>
            {c.offered === false ? (
              <div class="off">
                <strong>{c.name}</strong> <Facts f={f} t={t} c={c} />
                <span>
                  {t.notOffered}: {c.reason}
                </span>
              </div>
            ) : (
              <button type="button" onClick={() => f.choose(c)}>
                <strong>{c.name}</strong> <Facts f={f} t={t} c={c} />
              </button>
            )}
            {c.description && <p>{c.description}</p>}
            {c.packages?.map((p) => (
              <p key={p.name} class="pk">
                {p.name}: {p.remaining.join(', ')}
              </p>
            ))}
          </li>
        ))}
      </ul>
    </section>
  );
}

const Facts = ({ f, t, c }: P & { c: ChainInfo }) => (
  <span>
    {t.min(c.durationMinutes)} · {money(f.o.lang, c.priceCents)}
  </span>
);

function Identify({ f, t }: P) {
  const me = f.me.value;
  const signed = !!f.token.value;
  // Signing in or out replaces what had the focus: it goes to what replaces it (never when a
  // direct link signs in as the page loads).
  const acted = useRef(false);
  const to = useRef<HTMLElement>(null);
  useLayoutEffect(() => {
    if (acted.current) to.current?.focus();
    acted.current = false;
  }, [signed]);
  const act = (go: () => Promise<unknown>) => () => {
    acted.current = true;
    // Nothing replaced (a wrong code): the focus stays, and a later change is not the client's.
    go().then(
      () => (acted.current &&= signed !== !!f.token.value),
      () => (acted.current = false),
    );
  };
  if (signed)
    return (
      <p tabIndex={-1} ref={to as preact.Ref<HTMLParagraphElement>}>
        {t.signedIn(me?.client ? `${me.client.firstName} ${me.client.lastName}` : (me?.email ?? ''))}{' '}
        <button type="button" class="ln" onClick={act(() => f.signOut())}>
          {t.signOut}
        </button>
      </p>
    );
  return (
    <details>
      <summary ref={to}>{t.known}</summary>
      <form onSubmit={submit(act(() => f.verify()))}>
        <Field label={t.email} v={f.form.email} type="email" autocomplete="email" />
        <Field label={t.code} v={f.form.code} autocomplete="one-time-code" />
        <button type="submit">{t.signIn}</button>{' '}
        <button type="button" class="ln" onClick={() => f.form.email.value && f.requestCode()}>
          {t.sendCode}
        </button>
      </form>
      {f.form.codeSent.value && <p>{t.sent(f.form.codeSent.value)}</p>}
    </details>
  );
}

function Times({ f, t, head }: P & Head) {
  const chain = f.chain.value!;
  const { lang } = f.o;
  const tz = f.zone();
  const week = f.week.value;
  const days = f.times.value?.days ?? [];
  const names = new Map(f.times.value?.therapists.map((x) => [x.id, x.name]));
  const list = f.view.value === 'list';
  const visitor = visitorZone();
  const pick = (minute: number, who: number[]) => f.pick(minute, who.length === 1 ? who[0] : undefined);
  /** A start's button: its name the full date and time (in the list also its face), never a bare "9:30". */
  const slot = (minute: number, who: number[], short?: boolean) => {
    const name = when(f, t, minute, chain.durationMinutes, who.length === 1 ? names.get(who[0]!) : '');
    return (
      <li key={minute}>
        <button type="button" aria-label={short ? name : undefined} onClick={() => pick(minute, who)}>
          {short ? clock(lang, tz, minute * 60_000) : name}
        </button>
      </li>
    );
  };
  const ids = f.times.value?.therapists.map((x) => x.id) ?? [];
  /** A day's starts with the ids of the therapists free at each. */
  const starts = (list: [number, string][]) =>
    list.map(([m, bits]): [number, number[]] => [m, whoOf(bits, ids)]);
  const day = days.find((d) => d.date === f.day.value);
  const empty = !days.some((d) => d.starts.length);
  // The week is one tab stop (the chosen day); the arrow keys, Home and End move between the days
  // with times and choose them, Page Up and Page Down change the week (the W3C date-picker grid).
  const open = days.filter((d) => d.starts.length).map((d) => d.date);
  const chosen = open.includes(f.day.value) ? f.day.value : open[0];
  const refocus = useRef(false);
  const grid = useRef<HTMLFieldSetElement>(null);
  // Before paint, so that the keyboard is never left on the page while the new week replaces the old.
  useLayoutEffect(() => {
    const b = grid.current?.querySelector<HTMLElement>('[tabindex="0"]');
    if (refocus.current && b && days[0]?.date === week) {
      refocus.current = false;
      b.focus();
    }
  });
  const dayKey = (e: KeyboardEvent) => {
    const k = e.key;
    const i = open.indexOf(chosen!);
    const to = /Right|Down/.test(k)
      ? open[i + 1]
      : /Left|Up/.test(k)
        ? open[i - 1]
        : k === 'Home'
          ? open[0]
          : k === 'End'
            ? open[open.length - 1]
            : null;
    const page = k === 'PageDown' ? 7 : k === 'PageUp' && week > monday(dateOf(tz)) ? -7 : 0;
    if (to === null && !page) return;
    e.preventDefault();
    refocus.current = true;
    if (page) f.show(addDays(week, page));
    else if (to) f.day.value = to;
  };
  const select = (label: string, v: Signal<string>, options: [string, string][]) => (
    <label>
      {label}{' '}
      <select
        value={v.value}
        onChange={(e) => {
          v.value = e.currentTarget.value;
          f.show();
        }}
      >
        {options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <section>
      <Back f={f} t={t} to="chains" />
      <h2 tabIndex={-1} ref={head}>
        {chain.name}
      </h2>
      <div class="fi">
        {select(t.daypart, f.daypart as Signal<string>, [
          ['', t.all],
          ['morning', t.morning],
          ['afternoon', t.afternoon],
          ['evening', t.evening],
        ])}
        {chain.therapists.length > 1 &&
          select(t.therapist, f.therapist, [
            ['', t.all],
            ...chain.therapists.map((x): [string, string] => [String(x.id), x.name]),
          ])}
        <fieldset class="vw">
          <legend class="sr">{`${t.week} / ${t.list}`}</legend>
          {(['week', 'list'] as const).map((v) => (
            <button
              key={v}
              type="button"
              class="tg"
              aria-pressed={f.view.value === v}
              onClick={() => {
                f.view.value = v;
                f.show();
              }}
            >
              {t[v]}
            </button>
          ))}
        </fieldset>
      </div>
      {visitor !== tz && <p class="tz">{t.zone(tz)}</p>}
      {list ? (
        <ul class="ls">
          {days
            .flatMap((d) => starts(d.starts))
            .slice(0, 12)
            .map(([m, who]) => slot(m, who))}
        </ul>
      ) : (
        <>
          <div class="nv">
            <button
              type="button"
              disabled={week <= monday(dateOf(tz))}
              onClick={() => f.show(addDays(week, -7))}
            >
              ← {t.prev}
            </button>
            <button type="button" onClick={() => f.show(addDays(week, 7))}>
              {t.next} →
            </button>
          </div>
          <fieldset class="dy" ref={grid} onKeyDown={dayKey}>
            <legend>{weekOf(lang, week)}</legend>
            {days.map((d) => (
              <button
                key={d.date}
                type="button"
                disabled={!d.starts.length}
                tabIndex={d.date === chosen ? 0 : -1}
                aria-pressed={d.date === f.day.value}
                onClick={() => (f.day.value = d.date)}
              >
                <span aria-hidden="true">
                  {dayName(lang, d.date, { weekday: 'short' })}
                  <br />
                  {dayName(lang, d.date, { day: 'numeric' })}
                </span>
                <span class="sr">{`${dayName(lang, d.date)}, ${t.free(d.starts.length)}`}</span>
              </button>
            ))}
          </fieldset>
          {day && day.starts.length > 0 && (
            <>
              <h3>{dayName(lang, day.date)}</h3>
              <ul class="sl">{starts(day.starts).map(([m, who]) => slot(m, who, true))}</ul>
            </>
          )}
        </>
      )}
      {empty && !f.busy.value && (
        <p>
          {list ? t.none : t.noWeek}{' '}
          {!list && (
            <button
              type="button"
              onClick={() => {
                // The button goes once a week with times is shown: the keyboard goes to its day.
                refocus.current = true;
                f.nextFree().then((found) => (refocus.current &&= found));
              }}
            >
              {t.nextFree}
            </button>
          )}
        </p>
      )}
    </section>
  );
}

/** The chosen start, its therapist and room. */
function Summary({
  f,
  t,
  at,
}: P & { at: { start: string; therapist: { name: string }; room: { name: string } | null } }) {
  const chain = f.chain.value!;
  const tz = f.zone();
  return (
    <>
      <p class="su">
        <strong>{chain.name}</strong>
        <br />
        {when(f, t, Date.parse(at.start) / 60_000, chain.durationMinutes, at.therapist.name)}
        {at.room && `, ${at.room.name}`}
      </p>
      {visitorZone() !== tz && <p class="tz">{t.zone(tz)}</p>}
    </>
  );
}

function HoldTimer({ f, t, until }: P & { until: number }) {
  const now = useSignalNow();
  const left = Math.max(0, Math.round((until - now) / 1000));
  const told = useRef(0);
  useEffect(() => {
    const stage = left === 0 ? 2 : left <= 120 ? 1 : 0;
    if (stage > told.current) f.say.value = stage === 2 ? t.heldOver : t.heldSoon;
    told.current = stage;
  }, [left > 120, left === 0]);
  return (
    <p class="hd">
      {left ? t.held(`${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`) : t.heldOver}
    </p>
  );
}

/** The current time, a second at a time, while the component is shown. */
function useSignalNow() {
  const [, tick] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    const id = setInterval(tick, 1000);
    return () => clearInterval(id);
  }, []);
  return Date.now();
}

function Details({ f, t, head }: P & Head) {
  const h = f.hold.value!;
  const chain = f.chain.value!;
  const form = f.form;
  const me = f.me.value;
  const known = f.token.value;
  const url = f.list.value?.practice.privacyNoticeUrl;
  const needsBirth = chain.needsBirthDate && !me?.client?.birthDate;
  const hint = useId();
  // Once the address is confirmed, the keyboard goes on where the form does.
  const next = useRef<HTMLFormElement>(null);
  const asked = useRef(!known);
  useLayoutEffect(() => {
    if (known && asked.current) next.current?.querySelector<HTMLElement>('input,button')?.focus();
  }, [known]);
  return (
    <section>
      <Back f={f} t={t} to="times" />
      <h2 tabIndex={-1} ref={head}>
        {t.details}
      </h2>
      <Summary f={f} t={t} at={h} />
      <HoldTimer f={f} t={t} until={Date.parse(h.expiresAt)} />
      {!known ? (
        <form onSubmit={submit(() => (form.codeSent.value ? f.verify() : f.requestCode()))}>
          <Field label={t.email} v={form.email} type="email" autocomplete="email" />
          {form.codeSent.value && (
            <>
              <p>{t.sent(form.codeSent.value)}</p>
              <Field label={t.otp} v={form.code} inputMode="numeric" autocomplete="one-time-code" />
            </>
          )}
          <button type="submit">{form.codeSent.value ? t.verify : t.sendCode}</button>
        </form>
      ) : (
        <form ref={next} onSubmit={submit(() => f.busy.value || f.confirm())}>
          {!me?.client && (
            <>
              <Field label={t.first} v={form.first} autocomplete="given-name" />
              <Field label={t.last} v={form.last} autocomplete="family-name" />
              <Field label={t.phone} v={form.phone} type="tel" autocomplete="tel" required={false} />
            </>
          )}
          {needsBirth && (
            <fieldset>
              <legend>{t.birth}</legend>
              <p id={hint}>{t.birthHint}</p>
              <div class="bd">
                {(
                  [
                    [t.day, form.d, 2, 'bday-day'],
                    [t.month, form.m, 2, 'bday-month'],
                    [t.year, form.y, 4, 'bday-year'],
                  ] as const
                ).map(([label, v, n, ac]) => (
                  <Field
                    key={ac}
                    label={label}
                    v={v}
                    inputMode="numeric"
                    pattern="[0-9]*"
                    maxLength={n}
                    size={n + 1}
                    autocomplete={ac}
                    aria-describedby={hint}
                  />
                ))}
              </div>
            </fieldset>
          )}
          {!me?.client && (
            <p class="ck">
              <input
                id="consent"
                type="checkbox"
                required
                checked={form.consent.value}
                onChange={(e) => (form.consent.value = e.currentTarget.checked)}
              />
              <label for="consent">
                {t.consent[0]}
                {url ? (
                  <a href={url} target="_blank" rel="noopener">
                    {t.consent[1]}
                  </a>
                ) : (
                  t.consent[1]
                )}
                {t.consent[2]}
              </label>
            </p>
          )}
          {/* Not disabled while a request runs: a disabled button loses the keyboard's focus. */}
          <button type="submit" class="go" aria-disabled={f.busy.value || undefined}>
            {t.confirm}
          </button>
        </form>
      )}
    </section>
  );
}

function Done({ f, t, head }: P & Head) {
  const b = f.booked.value!;
  const [sure, setSure] = useState(false);
  return (
    <section>
      <h2 tabIndex={-1} ref={head}>
        {f.cancelled.value ? t.cancelled : t.booked}
      </h2>
      <Summary f={f} t={t} at={b} />
      {b.packages.map((p) => (
        <p key={p.id} class="pk">
          {p.name}: {p.remaining.map((r) => r.text).join(', ')}
        </p>
      ))}
      {!f.cancelled.value && (
        <p>
          <a href={b.icsUrl} download="termin.ics">
            {t.ics}
          </a>{' '}
          {Date.now() <= Date.parse(b.cancelDeadline) ? (
            <>
              <button type="button" class="ln" onClick={() => (sure ? f.cancel() : setSure(true))}>
                {sure ? t.sure : t.cancel}
              </button>{' '}
              {t.until(
                `${dayName(f.o.lang, dateOf(f.zone(), Date.parse(b.cancelDeadline)))}, ${clock(f.o.lang, f.zone(), Date.parse(b.cancelDeadline))}${t.oclock}`,
              )}
            </>
          ) : (
            t.byPractice
          )}
        </p>
      )}
      <button type="button" onClick={() => f.again()}>
        {t.again}
      </button>
    </section>
  );
}
