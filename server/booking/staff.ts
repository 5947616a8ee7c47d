/**
 * What staff do to appointments — create (from a chain or free service lines), edit, cancel, book
 * a series — each as load → decide → apply in one write transaction, with the very decision online
 * booking uses (engine/appointment.ts): the same hard rules, create-on-booking included. The back
 * office's routes call these; they turn a refusal into an answer.
 */
import type { Locale } from '../../shared/i18n.ts';
import { applyPlan, bookingView, loadAppointment, loadBusy, loadClientFile } from '../db/queries/calendar.ts';
import type { Store, Tx } from '../db/store.ts';
import {
  type AppointmentPlan,
  decideAppointment,
  decideSeries,
  type ExistingAppointment,
  type Refusal,
  refCounter,
  type Snapshot,
  type StaffCreate,
  type StaffEdit,
  snapshotWindow,
} from '../engine/appointment.ts';
import type { BusyWindow } from '../engine/availability.ts';
import type { PracticeConfig } from '../engine/config.ts';
import { ApiError } from '../problem.ts';
import { practiceConfigIn } from './config.ts';
import { confirmationMail } from './messages.ts';

export interface StaffContext {
  practiceId: number;
  slug: string;
  /** Who acts, for the ledger, e.g. `staff:12`. */
  actor: string;
  clock: () => number;
  /** The cancel link a client's e-mail carries. */
  cancelUrl: (appointmentId: number) => string;
  lang?: Locale;
}

export type StaffResult =
  | { appointmentIds: number[]; plans: AppointmentPlan[] }
  | { refusal: Refusal; index?: number };

async function configOf(store: Store, tx: Tx, ctx: StaffContext): Promise<PracticeConfig> {
  const config = await practiceConfigIn(store, tx, ctx.slug);
  if (config?.practice.id !== ctx.practiceId)
    throw new ApiError(404, 'practice_not_found', `No practice "${ctx.slug}".`);
  return config;
}

/** The smallest window that holds all of `windows`. */
function union(windows: BusyWindow[]): BusyWindow {
  return {
    therapistIds: [...new Set(windows.flatMap((w) => w.therapistIds))],
    roomIds: [...new Set(windows.flatMap((w) => w.roomIds))],
    from: Math.min(...windows.map((w) => w.from)),
    to: Math.max(...windows.map((w) => w.to)),
    now: windows[0]?.now ?? 0,
  };
}

/** The snapshot a decision needs: the client file locked (PostgreSQL), the busy times of its window. */
async function snapshotIn(
  tx: Tx,
  config: PracticeConfig,
  clientId: number,
  window: BusyWindow,
  appointment?: ExistingAppointment,
): Promise<Snapshot> {
  const client = await loadClientFile(tx, config.practice.id, clientId, window, { lock: true });
  if (!client) throw new ApiError(404, 'client_not_found', `No client file ${clientId} in this practice.`);
  return { config, client, busy: await loadBusy(tx, window), ...(appointment ? { appointment } : {}) };
}

/** Writes the plans, and the e-mail each one asks for; returns the appointments' ids. */
async function apply(
  tx: Tx,
  config: PracticeConfig,
  plans: AppointmentPlan[],
  ctx: StaffContext,
  now: number,
) {
  const ids: number[] = [];
  // Refs are shared across a series: a package the first plan creates is assigned by the next ones.
  const created = new Map<number, number>();
  for (const plan of plans) {
    const resolved: AppointmentPlan = {
      ...plan,
      assign: plan.assign.map((ref) => created.get(ref) ?? ref),
      ledger: plan.ledger.map((e) => ({ ...e, packageId: created.get(e.packageId) ?? e.packageId })),
    };
    const applied = await applyPlan(tx, resolved, {
      practiceId: config.practice.id,
      actor: ctx.actor,
      now,
      accessCode: () => {
        throw new Error('staff do not create client files here');
      },
    });
    for (const p of plan.packages) created.set(p.ref, applied.packageId(p.ref));
    ids.push(applied.appointmentId);
    if (plan.mail) await mailFor(tx, config, plan, applied.appointmentId, ctx, now);
  }
  return ids;
}

/** The client's e-mail about an appointment booked online that staff moved or cancelled. */
async function mailFor(
  tx: Tx,
  config: PracticeConfig,
  plan: AppointmentPlan,
  appointmentId: number,
  ctx: StaffContext,
  now: number,
) {
  const b = await bookingView(tx, config.practice.id, appointmentId);
  if (!b?.client.email) return;
  const a = plan.appointment;
  await confirmationMail(tx, {
    practice: config.practice,
    appointmentId,
    sequence: a.sequence,
    method: plan.mail === 'cancellation' ? 'CANCEL' : 'REQUEST',
    start: a.start,
    end: a.end,
    chainName: b.chainName ?? 'Termin',
    therapistName: b.therapistName,
    roomName: b.roomName,
    to: { email: b.client.email, name: `${b.client.firstName} ${b.client.lastName}` },
    cancelUrl: ctx.cancelUrl(appointmentId),
    packages: [],
    lang: ctx.lang ?? 'de',
    now,
  });
}

/** Staff book an appointment for a client file: from a chain (packages as online) or free lines. */
export function createAppointment(
  store: Store,
  ctx: StaffContext,
  clientId: number,
  request: Omit<StaffCreate, 'kind'>,
): Promise<StaffResult> {
  return store.write(
    async (tx) => {
      const config = await configOf(store, tx, ctx);
      const full: StaffCreate = { kind: 'staff', ...request };
      const now = ctx.clock();
      const snapshot = await snapshotIn(tx, config, clientId, snapshotWindow(config, full, now));
      const decision = decideAppointment(snapshot, full, now);
      if (!decision.ok) return { refusal: decision.refusal };
      return { appointmentIds: await apply(tx, config, [decision.plan], ctx, now), plans: [decision.plan] };
    },
    { retries: 3 },
  );
}

/** Staff change an appointment: time, therapist, room, services, packages. */
export function editAppointment(
  store: Store,
  ctx: StaffContext,
  request: Omit<StaffEdit, 'kind'>,
): Promise<StaffResult> {
  return store.write(
    async (tx) => {
      const config = await configOf(store, tx, ctx);
      const existing = await loadAppointment(tx, ctx.practiceId, request.appointmentId);
      if (!existing)
        return { refusal: { code: 'appointment_not_found', appointmentId: request.appointmentId } };
      const full: StaffEdit = { kind: 'edit', ...request };
      const now = ctx.clock();
      const snapshot = await snapshotIn(
        tx,
        config,
        existing.clientId,
        snapshotWindow(config, full, now, existing),
        existing,
      );
      const decision = decideAppointment(snapshot, full, now);
      if (!decision.ok) return { refusal: decision.refusal };
      if (decision.plan.action === 'none') return { appointmentIds: [existing.id], plans: [decision.plan] };
      return { appointmentIds: await apply(tx, config, [decision.plan], ctx, now), plans: [decision.plan] };
    },
    { retries: 3 },
  );
}

/** Staff cancel an appointment (no deadline): the budget is released, the client told if they booked online. */
export function cancelAppointment(
  store: Store,
  ctx: StaffContext,
  appointmentId: number,
): Promise<StaffResult> {
  return store.write(async (tx) => {
    const config = await configOf(store, tx, ctx);
    const existing = await loadAppointment(tx, ctx.practiceId, appointmentId);
    if (!existing) return { refusal: { code: 'appointment_not_found', appointmentId } };
    const snapshot = await snapshotIn(
      tx,
      config,
      existing.clientId,
      { therapistIds: [], roomIds: [], from: 0, to: 0, now: 0 },
      existing,
    );
    const now = ctx.clock();
    const decision = decideAppointment(snapshot, { kind: 'cancel', appointmentId, by: 'staff' }, now);
    if (!decision.ok) return { refusal: decision.refusal };
    if (decision.plan.action === 'none') return { appointmentIds: [existing.id], plans: [decision.plan] };
    return { appointmentIds: await apply(tx, config, [decision.plan], ctx, now), plans: [decision.plan] };
  });
}

/**
 * A series: the same appointment at each of `starts`. `all`: every one or none, the refusal naming
 * the first date that does not fit; `fitting`: those that fit are booked, the others are named in
 * `refused`.
 */
export function bookSeries(
  store: Store,
  ctx: StaffContext,
  clientId: number,
  request: Omit<StaffCreate, 'kind' | 'start'>,
  starts: readonly number[],
  mode: 'all' | 'fitting',
  options: { dryRun?: boolean } = {},
): Promise<StaffResult & { refused?: { index: number; start: number; refusal: Refusal }[] }> {
  return store.write(
    async (tx) => {
      const config = await configOf(store, tx, ctx);
      const base: StaffCreate = { kind: 'staff', start: starts[0] ?? 0, ...request };
      const now = ctx.clock();
      const window = union(starts.map((start) => snapshotWindow(config, { ...base, start }, now)));
      const snapshot = await snapshotIn(tx, config, clientId, window);
      const series = decideSeries(snapshot, base, starts, mode, now, refCounter());
      if (!series.ok) {
        const first = series.refused[0]!;
        return { refusal: first.refusal, index: first.index, refused: series.refused };
      }
      // A dry run: what would be written, nothing is (the transaction only read).
      if (options.dryRun) return { appointmentIds: [], plans: series.plans, refused: series.refused };
      const appointmentIds = await apply(tx, config, series.plans, ctx, now);
      return { appointmentIds, plans: series.plans, refused: series.refused };
    },
    { retries: 3 },
  );
}
