/** Dates and times through Intl, in the practice's time zone; local dates as YYYY-MM-DD strings. */
import type { Lang } from './texts.ts';

/** Formatters are made once per kind: making one costs far more than using it. */
const made = new Map<string, Intl.DateTimeFormat>();
const fmt = (lang: Lang, timeZone: string, o: Intl.DateTimeFormatOptions) => {
  const key = lang + timeZone + JSON.stringify(o);
  let f = made.get(key);
  if (!f)
    made.set(
      key,
      (f = new Intl.DateTimeFormat(lang === 'de' ? 'de-DE' : lang === 'en' ? 'en-GB' : 'sv-SE', {
        timeZone,
        ...o,
      })),
    );
  return f;
};

const noon = (date: string) => Date.UTC(+date.slice(0, 4), +date.slice(5, 7) - 1, +date.slice(8, 10), 12);

/** The local date `days` after `date`. */
export const addDays = (date: string, days: number) =>
  new Date(noon(date) + days * 86_400_000).toISOString().slice(0, 10);

/** The Monday of the week of `date`. */
export const monday = (date: string) => addDays(date, -((new Date(noon(date)).getUTCDay() + 6) % 7));

/** The local date (YYYY-MM-DD) of an instant in the time zone: Swedish dates are ISO dates. */
export const dateOf = (timeZone: string, ms = Date.now()) =>
  new Intl.DateTimeFormat('sv-SE', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(
    ms,
  );

/** "Dienstag, 3. März 2026" / "Tuesday 3 March 2026"; `short`: "Di." + "3.3." parts. */
export const dayName = (lang: Lang, date: string, o: Intl.DateTimeFormatOptions = { dateStyle: 'full' }) =>
  fmt(lang, 'UTC', o).format(noon(date));

/** "09:30" in the zone. */
export const clock = (lang: Lang, timeZone: string, ms: number) =>
  fmt(lang, timeZone, { hour: '2-digit', minute: '2-digit' }).format(ms);

const euros = new Map<Lang, Intl.NumberFormat>();
export const money = (lang: Lang, cents: number) => {
  let f = euros.get(lang);
  if (!f)
    euros.set(
      lang,
      (f = new Intl.NumberFormat(lang === 'de' ? 'de-DE' : 'en-GB', { style: 'currency', currency: 'EUR' })),
    );
  return f.format(cents / 100);
};
