/**
 * The practice document's problems in German, for the back office (whose words are German by
 * default). The document's own messages are English — the command line and the API speak it —
 * and each of them has its German form here; zod's own messages come in German from its locale
 * (`documentErrorMap`). A message without a German form stays as it is.
 */
import { z } from 'zod';

export type IssueLang = 'de' | 'en';

/** What `duplicate …` and `… cannot be removed` name, in German. */
const WHAT: Record<string, string> = {
  'user e-mail': 'Benutzer-E-Mail',
  'therapist key': 'Therapeuty-Kürzel',
  'room key': 'Raum-Kürzel',
  'service code': 'Leistungsziffer',
  'template key': 'Vorlagen-Kürzel',
  'chain key': 'Ketten-Kürzel',
  'client key': 'Klienty-Kürzel',
  therapist: 'Therapeuty',
  'rule for template': 'Regel für die Vorlage',
  'exclusion of template': 'Ausschluss der Vorlage',
  'package key': 'Paket-Kürzel',
  package: 'Paket',
  'client e-mail': 'Klienty-E-Mail',
  appointments: 'Termine',
  'appointment lines': 'Terminpositionen',
  'packages or exclusions': 'Pakete oder Ausschlüsse',
};
const STATE: Record<string, string> = { absent: 'fehlt', exhausted: 'ausgeschöpft' };
const what = (w: string) => WHAT[w] ?? w;

const GERMAN: [RegExp, (m: RegExpExecArray) => string][] = [
  [/^unknown service code "(.*)"$/, (m) => `unbekannte Leistungsziffer „${m[1]}“`],
  [/^unknown therapist "(.*)"$/, (m) => `unbekanntes Therapeuty „${m[1]}“`],
  [/^unknown package template "(.*)"$/, (m) => `unbekannte Paketvorlage „${m[1]}“`],
  [/^unknown user "(.*)"$/, (m) => `kein Benutzer „${m[1]}“ in dieser Praxis`],
  [/^unknown room "(.*)"$/, (m) => `unbekannter Raum „${m[1]}“`],
  [/^unknown chain "(.*)"$/, (m) => `unbekannte Leistungskette „${m[1]}“`],
  [/^duplicate (.+) "(.*)"$/, (m) => `${what(m[1]!)} „${m[2]}“ kommt doppelt vor`],
  [/^hours end \((.+)\) must be after start$/, (m) => `das Ende (${m[1]}) muss nach dem Beginn liegen`],
  [/^overlaps hours\[(\d+)\] on (\w+)$/, (m) => `überschneidet sich mit Arbeitszeit ${Number(m[1]) + 1}`],
  [/^give both from and to, or neither$/, () => 'Von und Bis angeben, oder keins von beiden'],
  [/^must be after from$/, () => 'muss nach „Von“ liegen'],
  [/^extra hours \(open\) need from and to$/, () => 'zusätzliche Zeiten brauchen Von und Bis'],
  [
    /^packages need plan L or higher \(plan is (\w+)\)$/,
    (m) => `Pakete gibt es ab Tarif L (Tarif der Praxis: ${m[1]})`,
  ],
  [/^must not be below minAge$/, () => 'darf nicht unter dem Mindestalter liegen'],
  [/^the practice has no rooms$/, () => 'die Praxis hat keine Räume'],
  [
    /^creating a package on booking when (\w+) needs "\w+" in offeredWhen$/,
    (m) =>
      `„bei Buchung anlegen, wenn ${STATE[m[1]!] ?? m[1]}“ braucht „angeboten, wenn ${STATE[m[1]!] ?? m[1]}“`,
  ],
  [/^code "(.*)" is limited twice$/, (m) => `„${m[1]}“ ist zweimal begrenzt`],
  [
    /^code limit for "(.*)" needs maxQuantity or maxAmountCents$/,
    (m) => `die Grenze für „${m[1]}“ braucht eine Anzahl oder einen Betrag`,
  ],
  [
    /^needs at least one limit/,
    () => 'braucht mindestens eine Grenze (Termine, Betrag oder eine Grenze je Leistungsziffer)',
  ],
  [/^a key is /, () => 'ein Kürzel hat 1–64 Kleinbuchstaben, Ziffern, - oder _'],
  [/^a service code is /, () => 'eine Leistungsziffer hat 1–32 Buchstaben, Ziffern, . _ oder -'],
  [/^a time is /, () => 'eine Uhrzeit ist HH:MM zwischen 00:00 und 24:00'],
  [/^a date is /, () => 'ein Datum ist JJJJ-MM-TT'],
  [/^a colour is /, () => 'eine Farbe ist #rrggbb'],
  [/^not an IANA time zone$/, () => 'keine Zeitzone (z. B. Europe/Berlin)'],
  [
    /^"(.*)" cannot be removed: (\d+) (.+) still name it/,
    (m) =>
      `„${m[1]}“ kann nicht entfernt werden: ${m[2]} ${what(m[3]!)} verweisen darauf${/onlineBookable/.test(m[0]) ? ' (schalten Sie die Online-Buchung der Kette stattdessen aus)' : ''}`,
  ],
  [
    /^"(.*)" cannot be removed: (\d+) appointments to come are theirs/,
    (m) =>
      `„${m[1]}“ kann nicht entfernt werden: ${m[2]} künftige Termine; verlegen oder absagen Sie sie zuerst`,
  ],
  [
    /^the practice needs at least one active admin$/,
    () => 'die Praxis braucht mindestens ein aktives Admin-Konto',
  ],
  [
    /^this practice is "(.*)": a practice keeps its address$/,
    (m) => `diese Praxis ist „${m[1]}“: das Kürzel einer Praxis bleibt`,
  ],
  [/^the plan is (\w+); /, (m) => `der Tarif ist ${m[1]}; ihn ändert der Betrieb dieses Servers`],
  [/^client files are not configuration/, () => 'Klienty-Akten gehören nicht zur Konfiguration'],
];

/** The message in `lang`. */
export function localizeIssue(message: string, lang: IssueLang): string {
  if (lang !== 'de') return message;
  for (const [pattern, german] of GERMAN) {
    const m = pattern.exec(message);
    if (m) return german(m);
  }
  return message;
}

/** zod's own messages (types, sizes, required fields) in `lang`. */
export function documentErrorMap(lang: IssueLang) {
  return lang === 'de' ? z.locales.de().localeError : undefined;
}
