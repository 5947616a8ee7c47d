/**
 * One widget's state and actions: signals made per instance (never at module level), so several
 * widgets on a page never share anything. The components only read it and call its actions.
 */
import { batch, signal } from '@preact/signals';
import { type Api, api, ok, Problem } from './api.ts';
import { addDays, dateOf, monday } from './format.ts';
import { type Lang, texts } from './texts.ts';

type Body<F extends (...a: never[]) => Promise<unknown>> = Awaited<ReturnType<F>>;
export type Flow = ReturnType<typeof createFlow>;
export type ChainList = Body<typeof loadChains>;
export type ChainInfo = ChainList['chains'][number];
export type Times = Body<typeof loadTimes>;
export type Hold = Body<typeof holdStart>;
export type Booked = Body<typeof book>;
export type Step = 'chains' | 'times' | 'details' | 'done';
export type Daypart = '' | 'morning' | 'afternoon' | 'evening';

const loadChains = (a: Api, practice: string, lang: Lang) =>
  ok(a.p[':practice'].chains.$get({ param: { practice }, query: { lang } }));
const loadTimes = (
  a: Api,
  practice: string,
  q: { chain: string; from: string; to: string; therapist?: string; daypart?: Daypart },
) =>
  ok(a.p[':practice'].starts.$get({ param: { practice }, query: { ...q, daypart: q.daypart || undefined } }));
/** The ids of the therapists a start's hex bits name: bit i stands for `ids[i]` (GET …/starts). */
export const whoOf = (bits: string, ids: readonly number[]) =>
  ids.filter((_, i) => (Number.parseInt(bits[bits.length - 1 - (i >> 2)] ?? '0', 16) >> (i & 3)) & 1);
const holdStart = (
  a: Api,
  practice: string,
  json: { chain: number; start: string; therapist?: number; lang: Lang },
) => ok(a.p[':practice'].holds.$post({ param: { practice }, json }));
const book = (
  a: Api,
  practice: string,
  json: Parameters<Api['p'][':practice']['bookings']['$post']>[0]['json'],
  key: string,
) => ok(a.p[':practice'].bookings.$post({ param: { practice }, json, header: { 'idempotency-key': key } }));

export interface Options {
  base: string;
  practice: string;
  lang: Lang;
  chain: string | null;
  therapist: string | null;
  emit: (name: string, detail?: unknown) => void;
}

/** The personal direct link the page was opened with, once read (`pageLink`). */
let linkOfPage: string | null | undefined;

/**
 * The token of the personal direct link in the page's address (`?terminkette=…`), taken out of the
 * address (and the history) when first read and kept for the page's other widgets: each signs in
 * with it, not only the first one to start.
 */
function pageLink(): string | null {
  if (linkOfPage === undefined) {
    const url = new URL(location.href);
    linkOfPage = url.searchParams.get('terminkette');
    if (linkOfPage) {
      url.searchParams.delete('terminkette');
      history.replaceState(history.state, '', url);
    }
  }
  return linkOfPage;
}

export function createFlow(o: Options) {
  const { practice, lang, emit } = o;
  const token = signal<string | null>(null);
  /** A session being taken up (`signedIn`): its requests carry it before the widget shows it. */
  let taking: string | null = null;
  const a = api(o.base, () => taking ?? token.value);
  const s = {
    o,
    step: signal<Step>('chains'),
    busy: signal(false),
    /** What the live region says: loading, results, errors. */
    say: signal(''),
    error: signal(''),
    list: signal<ChainList | null>(null),
    chain: signal<ChainInfo | null>(null),
    me: signal<{
      email: string | null;
      client: { firstName: string; lastName: string; birthDate: string | null } | null;
    } | null>(null),
    token,
    view: signal<'week' | 'list'>('week'),
    week: signal(''),
    day: signal(''),
    daypart: signal<Daypart>(''),
    therapist: signal(o.therapist ?? ''),
    times: signal<Times | null>(null),
    hold: signal<Hold | null>(null),
    booked: signal<Booked | null>(null),
    cancelled: signal(false),
    /** Everything typed, kept when the client has to go back. */
    form: {
      email: signal(''),
      code: signal(''),
      codeSent: signal(''),
      first: signal(''),
      last: signal(''),
      phone: signal(''),
      d: signal(''),
      m: signal(''),
      y: signal(''),
      consent: signal(false),
    },
  };
  const zone = () => s.list.value?.practice.timeZone ?? 'Europe/Berlin';

  /** Runs a request with the busy flag, the live region and errors in the server's words. */
  async function run<T>(what: () => Promise<T>): Promise<T | undefined> {
    s.busy.value = true;
    s.error.value = '';
    try {
      return await what();
    } catch (e) {
      const p = e instanceof Problem ? e : new Problem(0, 'error', String(e));
      // The server's own words; without an answer, ours.
      s.error.value = p.message || (p.status === 0 ? texts(lang).offline : p.code);
      emit('error', { code: p.code, status: p.status });
      if (p.code === 'invalid_token') token.value = null;
      throw p;
    } finally {
      s.busy.value = false;
    }
  }
  const quiet = <T>(p: Promise<T>): Promise<T | undefined> => p.catch(() => undefined);

  /** Lets the hold go at once (also as the page goes away: the request outlives it). */
  function release() {
    const h = s.hold.value;
    s.hold.value = null;
    if (h) {
      quiet(
        ok(
          a.p[':practice'].holds[':hold'].$delete(
            { param: { practice, hold: h.hold } },
            { init: { keepalive: true } },
          ),
        ),
      );
    }
  }

  async function chains() {
    const list = await run(() => loadChains(a, practice, lang));
    if (!list) return;
    batch(() => {
      s.list.value = list;
      // A chosen chain is kept with what the server says of it now.
      const key = s.chain.value?.key ?? o.chain;
      const now = list.chains.find((c) => c.key === key);
      s.chain.value = now?.offered !== false ? (now ?? null) : null;
      // Not offered to this client any more (signed in on the way, or the budget ran out): back
      // to the chains, where it says why and what is offered instead.
      if (!s.chain.value && (s.step.value === 'times' || s.step.value === 'details')) {
        release();
        s.step.value = 'chains';
        if (now?.reason) s.error.value = now.reason;
      }
    });
    return list;
  }

  async function times(from = s.week.value, days = 7) {
    const chain = s.chain.value;
    if (!chain) return;
    s.say.value = '';
    const t = await run(() =>
      loadTimes(a, practice, {
        chain: String(chain.id),
        from,
        to: addDays(from, days - 1),
        therapist: s.therapist.value || undefined,
        daypart: s.daypart.value,
      }),
    );
    if (!t) return;
    const n = t.days.reduce((sum, d) => sum + d.starts.length, 0);
    batch(() => {
      s.times.value = t;
      const first = t.days.find((d) => d.starts.length);
      if (!t.days.some((d) => d.date === s.day.value && d.starts.length)) s.day.value = first?.date ?? from;
      s.say.value = o.lang === 'en' ? `${n} free times` : `${n} freie Termine`;
    });
    return t;
  }

  return {
    ...s,
    zone,
    /**
     * The step was changed by the widget's own start (a chain named by the page), not by the
     * client: the focus stays on the page (Steps reads and clears it).
     */
    unasked: false,
    async start() {
      const link = pageLink();
      if (link) await quiet(this.link(link));
      const list = await quiet(run(() => loadChains(a, practice, lang)));
      if (!list) return;
      // A chain named by the page is chosen at once: its times are asked for before anything
      // is drawn.
      const chosen = list.chains.find((c) => c.key === o.chain && c.offered !== false);
      let loading: Promise<unknown> | undefined;
      batch(() => {
        s.list.value = list;
        if (chosen) {
          this.unasked = true;
          loading = this.choose(chosen);
        }
      });
      emit('ready', { practice });
      await loading;
    },
    async link(t: string) {
      const session = await run(() =>
        ok(a.p[':practice'].auth.link.$post({ param: { practice }, json: { token: t } })),
      );
      if (session) await this.signedIn(session.token);
    },
    async signedIn(t: string) {
      taking = t;
      let me: typeof s.me.value = null;
      try {
        me = (await run(() => ok(a.p[':practice'].me.$get({ param: { practice } })))) ?? null;
      } catch (e) {
        if ((e as Problem).code === 'invalid_token') return;
      } finally {
        taking = null;
      }
      // Signed in and known at once: the form is drawn once, with the fields this client needs (a
      // returning client's focus went to the new-client fields, then to the page as they went).
      batch(() => {
        token.value = t;
        s.me.value = me;
      });
    },
    async requestCode() {
      const email = s.form.email.value.trim();
      await run(() => ok(a.p[':practice'].auth.code.$post({ param: { practice }, json: { email } })));
      s.form.codeSent.value = email;
      s.say.value = texts(lang).sent(email);
    },
    async verify() {
      const session = await run(() =>
        ok(
          a.p[':practice'].auth.verify.$post({
            param: { practice },
            json: { email: s.form.email.value.trim(), code: s.form.code.value.trim() },
          }),
        ),
      );
      if (!session) return;
      s.form.code.value = '';
      await this.signedIn(session.token);
      // What the chains offer this client, now that the server knows who asks.
      await quiet(chains());
    },
    async signOut() {
      batch(() => {
        token.value = null;
        s.me.value = null;
        s.form.codeSent.value = '';
      });
      await quiet(chains());
    },
    async choose(chain: ChainInfo) {
      let loading: Promise<unknown> | undefined;
      batch(() => {
        s.chain.value = chain;
        s.step.value = 'times';
        s.week.value ||= monday(dateOf(zone()));
        if (!chain.therapists.some((t) => String(t.id) === s.therapist.value)) s.therapist.value = '';
        loading = quiet(times());
      });
      emit('chain-selected', { chain: chain.key });
      await loading;
    },
    /** Shows a week (its Monday), or the list of next free times. */
    async show(week = s.week.value) {
      s.week.value = week;
      await quiet(s.view.value === 'list' ? times(dateOf(zone()), 28) : times(week));
    },
    /** Jumps to the first week after the shown one that has a free time. */
    async nextFree() {
      const t = await quiet(times(addDays(s.week.value, 7), 56));
      const date = t?.days.find((d) => d.starts.length)?.date;
      if (date) await this.show(monday(date));
      else s.say.value = s.error.value = texts(lang).none;
      return !!date;
    },
    async pick(minute: number, therapist?: number) {
      const chain = s.chain.value!;
      const hold = await quiet(
        run(() =>
          holdStart(a, practice, {
            chain: chain.id,
            start: new Date(minute * 60_000).toISOString(),
            therapist,
            lang,
          }),
        ),
      );
      if (!hold) {
        await quiet(times());
        return;
      }
      batch(() => {
        s.hold.value = hold;
        s.step.value = 'details';
      });
      emit('slot-selected', { chain: chain.key, start: hold.start, therapist: hold.therapist.id });
    },
    /** Back to the times: the hold is let go, everything typed is kept. */
    async back(step: Step, error?: string) {
      batch(() => {
        release();
        s.step.value = step;
      });
      await (step === 'times' ? quiet(times()) : quiet(chains()));
      // Said after the times are new: why the client is back here.
      if (error) s.error.value = error;
    },
    async confirm() {
      const h = s.hold.value!;
      const f = s.form;
      const me = s.me.value;
      const chain = s.chain.value!;
      const birthDate =
        chain.needsBirthDate && !me?.client?.birthDate && f.y.value
          ? `${f.y.value.trim()}-${f.m.value.trim().padStart(2, '0')}-${f.d.value.trim().padStart(2, '0')}`
          : undefined;
      const client = me?.client
        ? undefined
        : {
            firstName: f.first.value.trim(),
            lastName: f.last.value.trim(),
            phone: f.phone.value.trim() || undefined,
            birthDate,
            consent: true as const,
          };
      try {
        const done = await run(() =>
          book(
            a,
            practice,
            {
              chain: chain.id,
              start: h.start,
              therapist: h.therapist.id,
              hold: h.hold,
              lang,
              client,
              birthDate: me?.client ? birthDate : undefined,
            },
            crypto.randomUUID(),
          ),
        );
        if (!done) return;
        batch(() => {
          s.booked.value = done;
          s.hold.value = null;
          s.step.value = 'done';
        });
        emit('booked', { id: done.id, start: done.start, chain: chain.key });
      } catch (e) {
        const p = e as Problem;
        if (!(p.status === 409 || p.status === 422 || p.code.startsWith('chain_'))) return;
        // Refused by the chain's package rules: the chains are asked again, and where the chain is
        // no longer offered at all (a package used up meanwhile) the client is back there, which
        // says why and what is offered instead (chains()). Otherwise — the start taken, too soon,
        // or one the rules refuse at that time only — back to the times. Both with the server's words.
        if (/^(chain_|package_|budget_)/.test(p.code)) await quiet(chains());
        if (s.step.value === 'chains') s.error.value = p.message;
        else await this.back('times', p.message);
      }
    },
    async cancel() {
      const b = s.booked.value!;
      const t = new URL(b.cancelUrl).searchParams.get('token') ?? '';
      const done = await quiet(
        run(() =>
          ok(a.bookings[':id'].cancel.$post({ param: { id: String(b.id) }, query: { token: t, lang } })),
        ),
      );
      if (done) {
        s.cancelled.value = true;
        emit('cancelled', { id: b.id });
      }
    },
    again() {
      batch(() => {
        s.booked.value = null;
        s.cancelled.value = false;
        s.step.value = 'chains';
      });
      return quiet(chains());
    },
  };
}
