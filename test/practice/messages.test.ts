/**
 * The back office shows the practice document's problems in German: every problem the rules name
 * for a configuration has its German form, and zod's own messages come from its German locale.
 */
import { describe, expect, it } from 'vitest';
import { type PracticeDocumentError, parsePracticeDocument } from '../../server/practice/import.ts';
import { localizeIssue } from '../../server/practice/messages.ts';
import { demoDoc } from '../helpers.ts';

function problems(doc: unknown, lang: 'de' | 'en' = 'en') {
  try {
    parsePracticeDocument(doc, lang);
  } catch (e) {
    return (e as PracticeDocumentError).issues;
  }
  throw new Error('expected problems');
}

describe('the practice document’s problems in German', () => {
  it('has a German form for every problem of the configuration’s references and contradictions', () => {
    const doc = demoDoc();
    delete doc.clients;
    doc.practice.plan = 'M';
    doc.services.push({ ...doc.services[0] });
    doc.therapists[0].user = 'nobody@example.org';
    doc.therapists[0].hours = [
      { weekday: 'mon', from: '12:00', to: '10:00' },
      { weekday: 'tue', from: '08:00', to: '12:00' },
      { weekday: 'tue', from: '11:00', to: '13:00' },
    ];
    doc.therapists[0].exceptions = [
      { date: '2026-12-01', kind: 'closed', from: '08:00' },
      { date: '2026-12-02', kind: 'open' },
      { date: '2026-12-03', kind: 'closed', from: '12:00', to: '10:00' },
    ];
    doc.chains[0].lines.push({ code: 'NOPE', quantity: 1 });
    doc.chains[0].therapists.push('nobody', 'nobody');
    doc.chains[0].minAge = 50;
    doc.chains[0].maxAge = 20;
    doc.chains[0].packageRules.push({ template: 'missing', offeredWhen: ['present'], createOnBooking: true });
    doc.packageTemplates[0].limits.codes.push({ code: 'KG', maxQuantity: 2 }, { code: 'FANGO' });
    doc.rooms = [];
    const issues = problems(doc);
    expect(issues.length).toBeGreaterThanOrEqual(12);
    for (const i of issues) {
      expect(localizeIssue(i.message, 'de'), i.message).not.toBe(i.message);
    }
    expect(issues.map((i) => localizeIssue(i.message, 'de'))).toContain('unbekanntes Therapeuty „nobody“');
  });

  it('gives zod’s own messages in German when asked, and in English by default', () => {
    const doc = demoDoc();
    doc.services[0].priceCents = 'teuer';
    expect(problems(doc)[0]!.message).toBe('Invalid input: expected number, received string');
    expect(problems(doc, 'de')[0]!.message).toBe('Ungültige Eingabe: erwartet Zahl, erhalten string');
  });
});
