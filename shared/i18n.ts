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

/** Why a chain is not offered to this client, in a short form that reveals nothing else. */
const NOT_OFFERED: Record<string, Record<Locale, string>> = {
  package_exhausted: {
    de: 'Ihr Paket ist aufgebraucht oder nicht mehr gültig.',
    en: 'Your package is used up or no longer valid.',
  },
  package_absent: {
    de: 'Für diese Leistung benötigen Sie ein passendes Paket.',
    en: 'This service needs a matching package.',
  },
  package_present: {
    de: 'Sie haben bereits ein laufendes Paket – bitte buchen Sie einen Folgetermin.',
    en: 'You already have a running package – please book a follow-up.',
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
