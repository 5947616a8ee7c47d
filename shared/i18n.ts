/**
 * Client-facing texts, German by default (gender-neutral as in the product description), English on
 * request. Pure and small: the widget uses the same table.
 */
import type { CriterionRemaining } from './budget.ts';

export type Locale = 'de' | 'en';

const euro = (cents: number, locale: Locale) =>
  new Intl.NumberFormat(locale === 'de' ? 'de-DE' : 'en-IE', { style: 'currency', currency: 'EUR' }).format(
    cents / 100,
  );

type Texts = Record<Locale, string>;

/**
 * Why a chain is not offered to this client (the package rules and age limits), in a short form
 * that names the real cause and reveals nothing else. None of these tells the client to book
 * something else: where another chain fits, the caller names it only if it is offered to them.
 */
const NOT_OFFERED: Record<string, Texts> = {
  package_used_up: { de: 'Ihr Paket ist aufgebraucht.', en: 'Your package is used up.' },
  package_expired: {
    de: 'Ihr Paket ist zu diesem Zeitpunkt nicht mehr gültig.',
    en: 'Your package is no longer valid at that time.',
  },
  package_not_yet_valid: {
    de: 'Ihr Paket ist zu diesem Zeitpunkt noch nicht gültig.',
    en: 'Your package is not valid yet at that time.',
  },
  package_closed: {
    de: 'Ihr Paket wurde von der Praxis abgeschlossen.',
    en: 'The practice has closed your package.',
  },
  package_absent: {
    de: 'Für diese Leistung benötigen Sie ein passendes Paket.',
    en: 'This service needs a matching package.',
  },
  package_present: {
    de: 'Sie haben bereits ein laufendes Paket für diese Leistung.',
    en: 'You already have a running package for this service.',
  },
  package_before_first_appointment: {
    de: 'Diese Leistung ist erst nach dem ersten Termin Ihres Pakets buchbar.',
    en: 'This service can be booked only after the first appointment of your package.',
  },
  package_before_last_appointment: {
    de: 'Diese Leistung ist erst nach dem letzten Termin Ihres Pakets buchbar.',
    en: 'This service can be booked only after the last appointment of your package.',
  },
  package_excluded: {
    de: 'Diese Leistung kann für Sie nicht online gebucht werden. Bitte wenden Sie sich an die Praxis.',
    en: 'This service cannot be booked online for you. Please contact the practice.',
  },
  package_template_does_not_fit: {
    de: 'Diese Leistung kann zu diesem Zeitpunkt nicht online gebucht werden. Bitte wenden Sie sich an die Praxis.',
    en: 'This service cannot be booked online for that time. Please contact the practice.',
  },
  too_young: {
    de: 'Diese Leistung ist erst ab einem bestimmten Alter buchbar.',
    en: 'This service has a minimum age.',
  },
  too_old: {
    de: 'Diese Leistung ist nur bis zu einem bestimmten Alter buchbar.',
    en: 'This service has a maximum age.',
  },
  plan: { de: 'Diese Leistung ist online nicht verfügbar.', en: 'This service is not available online.' },
};

export function notOfferedText(code: string, locale: Locale = 'de'): string {
  return (NOT_OFFERED[code] ?? NOT_OFFERED.plan!)[locale];
}

/** "Book X instead." for a chain that is offered to the client. */
export function insteadText(chainName: string, locale: Locale = 'de'): string {
  return locale === 'de' ? `Buchen Sie stattdessen „${chainName}“.` : `Book “${chainName}” instead.`;
}

/** Why a booking or cancellation was refused, by the answer's `code`. */
const REFUSED: Record<string, Texts> = {
  slot_taken: { de: 'Dieser Termin ist inzwischen vergeben.', en: 'This slot has just been taken.' },
  too_soon: { de: 'Dieser Termin ist zu kurzfristig.', en: 'This start is too soon to book.' },
  beyond_window: {
    de: 'So weit im Voraus kann noch nicht gebucht werden.',
    en: 'This start is too far ahead.',
  },
  slot_unavailable: {
    de: 'Zu dieser Zeit ist kein Termin verfügbar.',
    en: 'No appointment is available at that time.',
  },
  client_overlap: {
    de: 'Sie haben zu dieser Zeit bereits einen Termin.',
    en: 'You already have an appointment at that time.',
  },
  age_not_allowed: { de: 'Diese Leistung hat eine Altersgrenze.', en: 'This service has an age limit.' },
  birth_date_required: {
    de: 'Für diese Leistung wird Ihr Geburtsdatum benötigt.',
    en: 'This service has an age limit: a birth date is required.',
  },
  client_exists: {
    de: 'Zu dieser E-Mail-Adresse gibt es schon eine Akte. Bitte melden Sie sich als wiederkehrendes Klienty an.',
    en: 'There is already a file for this e-mail address. Please identify as a returning client.',
  },
  too_many_open_bookings: {
    de: 'Sie haben schon die größtmögliche Zahl an Online-Terminen offen. Bitte warten Sie einen davon ab oder rufen Sie die Praxis an.',
    en: 'You already have as many upcoming online bookings as this practice allows. Please wait for one of them or call the practice.',
  },
  verification_required: {
    de: 'Bitte bestätigen Sie zuerst Ihre E-Mail-Adresse mit dem Code, den wir Ihnen senden.',
    en: 'Please confirm your e-mail address first, with the code we send you.',
  },
  chain_not_bookable: {
    de: 'Diese Leistung kann nicht online gebucht werden.',
    en: 'This service cannot be booked online.',
  },
  client_required: {
    de: 'Bitte geben Sie Ihren Vor- und Nachnamen an.',
    en: 'Please give your first and last name.',
  },
  not_cancellable: {
    de: 'Dieser Termin hat bereits stattgefunden und kann nicht abgesagt werden.',
    en: 'This appointment has taken place and cannot be cancelled.',
  },
};

export function refusedText(code: string, locale: Locale = 'de'): string {
  return (REFUSED[code] ?? NOT_OFFERED[code] ?? REFUSED.slot_unavailable!)[locale];
}

/** A package's amount or service-code limit would be exceeded by the appointment. */
export function packageLimitText(packageName: string, locale: Locale = 'de'): string {
  return locale === 'de'
    ? `Ihr Paket „${packageName}“ reicht für diesen Termin nicht mehr aus.`
    : `Your package “${packageName}” does not cover this appointment any more.`;
}

/** The cancellation deadline has passed: online only until `hours` before the appointment. */
export function cancelDeadlineText(hours: number, locale: Locale = 'de'): string {
  return locale === 'de'
    ? `Online absagen ist nur bis ${hours} Stunden vor dem Termin möglich. Bitte rufen Sie die Praxis an.`
    : `Online cancellation closes ${hours} hours before the appointment. Please call the practice.`;
}

/**
 * The remaining budget of a package in one phrase, e.g. "noch 2 von 6 Terminen",
 * "noch 56,00 € von 600,00 €", "noch 1 von 6 × KG".
 */
export function remainingText(r: CriterionRemaining, locale: Locale = 'de'): string {
  const de = locale === 'de';
  switch (r.criterion) {
    case 'appointments':
      return de
        ? `noch ${r.remaining} von ${r.limit} Terminen`
        : `${r.remaining} of ${r.limit} appointments left`;
    case 'amount':
    case 'codeAmount': {
      const what = r.code ? ` (${r.code})` : '';
      return de
        ? `noch ${euro(r.remaining, locale)} von ${euro(r.limit, locale)}${what}`
        : `${euro(r.remaining, locale)} of ${euro(r.limit, locale)} left${what}`;
    }
    case 'codeQuantity':
      return de
        ? `noch ${r.remaining} von ${r.limit} × ${r.code}`
        : `${r.remaining} of ${r.limit} × ${r.code} left`;
  }
}
