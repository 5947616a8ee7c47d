/**
 * An appointment being edited in the back office, as the browser sees it before saving: its lines
 * priced as the server will price them, and the bars of its packages with the draft — the same
 * shared `bars()` the server's check (`checkProposal`) is made of, so what turns red on screen is
 * what the server refuses.
 */
import { type Bar, bars } from './budget.ts';
import type { BudgetAppointment, BudgetPackage, Instant, ServiceLine } from './domain.ts';

export interface DraftService {
  id: number;
  code: string;
  priceCents: number;
}

/**
 * The draft's lines: a line keeps its booked price while its service and quantity stay (as the
 * server's decision does), any other is priced at today's price.
 */
export function draftLines(
  booked: readonly { serviceId: number; quantity: number; unitPriceCents: number }[],
  wanted: readonly { serviceId: number; quantity: number }[],
  services: readonly DraftService[],
): ServiceLine[] {
  return wanted.map((l) => {
    const kept = booked.find((x) => x.serviceId === l.serviceId && x.quantity === l.quantity);
    const service = services.find((s) => s.id === l.serviceId)!;
    return {
      code: service.code,
      quantity: l.quantity,
      unitPriceCents: kept?.unitPriceCents ?? service.priceCents,
    };
  });
}

/** A bar the draft takes over its limit: what the server refuses (it asks more, and exceeds). */
export const overLimit = (b: Bar) => b.draft > 0 && b.used + b.planned + b.draft > b.limit;

/** Each assigned package's bars with the draft `{ id, start, end, lines }`. */
export function draftBars(
  packages: readonly (BudgetPackage & { appointments: readonly BudgetAppointment[] })[],
  draft: { id: number; start: Instant; end: Instant; lines: ServiceLine[] },
  now: Instant,
): { packageId: number; bars: Bar[] }[] {
  return packages.map((p) => ({ packageId: p.id, bars: bars(p, p.appointments, now, draft) }));
}
