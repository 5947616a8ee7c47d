/** The rows of a whole practice, as practice/import.ts resolves a practice document for the queries. */
import type { Limits } from '../../../shared/domain.ts';

/** A practice, resolved: every time in minutes, every date a local date, every instant in ms. */
export interface PracticeRows {
  practice: {
    slug: string;
    name: string;
    plan: string;
    timeZone: string;
    contactEmail: string | null;
    onlineBookingEnabled: boolean;
    minNoticeMinutes: number;
    bookingWindowDays: number;
    slotMode: string;
    slotStepMinutes: number;
    cancelDeadlineMinutes: number;
    allowedOrigins: string[];
    privacyNoticeUrl: string | null;
    holdMinutes: number;
    maxOpenOnlineBookings: number;
    mailNamesService: boolean;
    /** Only the limits the document sets; the rest stay the defaults (also when those change). */
    onlineLimits: Record<string, unknown>;
  };
  users: { email: string; name: string; role: string }[];
  therapists: {
    key: string;
    name: string;
    userEmail: string | null;
    onlineBookable: boolean;
    color: string;
    hours: { weekday: number; startMinute: number; endMinute: number }[];
    exceptions: {
      date: string;
      kind: string;
      startMinute: number | null;
      endMinute: number | null;
      note: string | null;
    }[];
  }[];
  rooms: { key: string; name: string }[];
  services: { code: string; name: string; priceCents: number; durationMinutes: number }[];
  templates: {
    key: string;
    name: string;
    limits: Limits;
    validityKind: string;
    validityDays: number | null;
  }[];
  chains: {
    key: string;
    name: string;
    description: string;
    durationMinutes: number | null;
    bufferAfterMinutes: number;
    needsRoom: boolean;
    onlineBookable: boolean;
    minAge: number | null;
    maxAge: number | null;
    minNoticeMinutes: number | null;
    bookingWindowDays: number | null;
    lines: { code: string; quantity: number }[];
    therapists: string[];
    rules: {
      template: string;
      offeredWhen: string[];
      createWhen: string[];
    }[];
  }[];
  clients: {
    key: string;
    firstName: string;
    lastName: string;
    email: string | null;
    phone: string | null;
    birthDate: string | null;
    accessCode: string;
    exclusions: { template: string; reason: string }[];
  }[];
  packages: {
    clientKey: string;
    key: string;
    template: string;
    name: string;
    limits: Limits;
    validFrom: number | null;
    validUntil: number | null;
    status: string;
    origin: string;
    closedReason: string | null;
  }[];
  appointments: {
    clientKey: string;
    therapist: string;
    room: string | null;
    chain: string | null;
    start: number;
    end: number;
    bufferAfterMinutes: number;
    status: string;
    lines: { code: string; quantity: number; unitPriceCents: number }[];
    packages: string[];
    note: string | null;
  }[];
}
