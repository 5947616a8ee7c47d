/** Dates and times through Intl, in the practice's time zone; local dates as YYYY-MM-DD strings. */
import type { Lang } from './texts.ts';

/** Swedish dates are ISO dates: the locale of `dateOf`. */
type Locale = Lang | 'sv';

/** Formatters are made once per kind: making one costs far more than using it. */
const made = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat>();
function once<F>(key: string, make: () => F): F {
  let f = made.get(key) as F | undefined;
  if (!f) {
    f = make();
    made.set(key, f as Intl.DateTimeFormat);
  }
  return f;
}
const fmt = (lang: Locale, timeZone: string, o: Intl.DateTimeFormatOptions) =>
  once(
    lang + timeZone + JSON.stringify(o),
    () =>
      new Intl.DateTimeFormat(lang === 'de' ? 'de-DE' : lang === 'en' ? 'en-GB' : 'sv-SE', {
        timeZone,
        ...o,
      }),
  );

const noon = (date: string) => Date.UTC(+date.slice(0, 4), +date.slice(5, 7) - 1, +date.slice(8, 10), 12);

/** The local date `days` after `date`. */
export const addDays = (date: string, days: number) =>
  new Date(noon(date) + days * 86_400_000).toISOString().slice(0, 10);

/** The Monday of the week of `date`. */
export const monday = (date: string) => addDays(date, -((new Date(noon(date)).getUTCDay() + 6) % 7));

/** The local date (YYYY-MM-DD) of an instant in the time zone. */
export const dateOf = (timeZone: string, ms = Date.now()) =>
  fmt('sv', timeZone, { year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);

/** "Dienstag, 3. März 2026" / "Tuesday, 3 March 2026", or the parts `o` asks for. */
export const dayName = (lang: Lang, date: string, o: Intl.DateTimeFormatOptions = { dateStyle: 'full' }) =>
  fmt(lang, 'UTC', o).format(noon(date));

/** The week from `monday`: "30. November – 6. Dezember 2026" / "1–7 December 2026". */
export const weekOf = (lang: Lang, monday: string) =>
  (fmt(lang, 'UTC', { day: 'numeric', month: 'long', year: 'numeric' }) as Intl.DateTimeFormat).formatRange(
    noon(monday),
    noon(addDays(monday, 6)),
  );

/** "09:30" in the zone. */
export const clock = (lang: Lang, timeZone: string, ms: number) =>
  fmt(lang, timeZone, { hour: '2-digit', minute: '2-digit' }).format(ms);

export const money = (lang: Lang, cents: number) =>
  once(
    `€${lang}`,
    () => new Intl.NumberFormat(lang === 'de' ? 'de-DE' : 'en-GB', { style: 'currency', currency: 'EUR' }),
  ).format(cents / 100);

/** The visitor's own time zone. */
export const visitorZone = () => once('zone', () => Intl.DateTimeFormat()).resolvedOptions().timeZone;
