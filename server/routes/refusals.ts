/**
 * The decision's typed refusals (engine/appointment.ts) as HTTP answers: status, stable `code`,
 * the client's words (shared/i18n.ts) and what a program needs to act on it.
 */
import {
  cancelDeadlineText,
  type Locale,
  notOfferedText,
  packageLimitText,
  refusedText,
} from '../../shared/i18n.ts';
import type { Refusal } from '../engine/appointment.ts';
import { ApiError } from '../problem.ts';

/** Package-rule refusals with a code of their own: the real cause, not a guess. */
const PACKAGE_CODES: Record<string, string> = {
  package_used_up: 'budget_exhausted',
  package_expired: 'package_expired',
  package_not_yet_valid: 'package_not_yet_valid',
  package_closed: 'package_closed',
};

export function refusalError(r: Refusal, lang: Locale): ApiError {
  const text = (code: string) => refusedText(code, lang);
  switch (r.code) {
    case 'chain_not_found':
      return new ApiError(404, 'chain_not_found', `No chain ${r.chainId} in this practice.`);
    case 'chain_not_bookable':
      return new ApiError(403, 'chain_not_bookable', text('chain_not_bookable'));
    case 'client_required':
      return new ApiError(400, 'client_required', text('client_required'));
    case 'birth_date_required':
      return new ApiError(400, 'birth_date_required', text('birth_date_required'));
    case 'age':
      return new ApiError(422, 'age_not_allowed', text('age_not_allowed'), {
        reason: r.reason,
        limit: r.limit,
      });
    case 'slot': {
      const code =
        r.reason === 'therapist_busy' || r.reason === 'no_room'
          ? 'slot_taken'
          : r.reason === 'too_soon' || r.reason === 'beyond_window'
            ? r.reason
            : 'slot_unavailable';
      return new ApiError(409, code, text(code), { reason: r.reason });
    }
    case 'client_overlap':
      return new ApiError(409, 'client_overlap', text('client_overlap'));
    case 'package_rule': {
      const own = PACKAGE_CODES[r.rule.code];
      return new ApiError(409, own ?? 'chain_not_offered', notOfferedText(r.rule.code, lang), {
        reason: r.rule.code,
        package: r.rule.templateName,
      });
    }
    case 'package_limit':
      return new ApiError(409, 'package_limit', packageLimitText(r.packageName, lang), {
        package: { id: r.packageId, name: r.packageName },
        violations: r.violations,
      });
    case 'package_not_found':
      return new ApiError(422, 'package_not_found', `No package ${r.packageId} on this client file.`);
    case 'client_exists':
      return new ApiError(409, 'client_exists', text('client_exists'));
    case 'hold_not_yours':
      return new ApiError(403, 'hold_not_yours', 'This start is held for someone else.');
    case 'hold_mismatch':
      return new ApiError(
        409,
        'hold_mismatch',
        'The booking asks for another chain, start or therapist than its hold keeps.',
      );
    case 'too_many_open_bookings':
      return new ApiError(409, 'too_many_open_bookings', text('too_many_open_bookings'), { limit: r.limit });
    case 'appointment_not_found':
      return new ApiError(404, 'booking_not_found', 'No such booking.');
    case 'not_editable':
      return new ApiError(409, 'not_editable', `An appointment that is ${r.status} cannot be changed.`);
    case 'not_cancellable':
      return new ApiError(409, 'not_cancellable', text('not_cancellable'));
    case 'cancel_deadline_passed':
      return new ApiError(
        409,
        'cancel_deadline_passed',
        cancelDeadlineText(Math.round(r.minutesBefore / 60), lang),
        {
          deadline: new Date(r.deadline).toISOString(),
        },
      );
    case 'service_not_found':
      return new ApiError(422, 'service_not_found', `No service ${r.serviceId} in this practice.`);
    case 'lines_required':
      return new ApiError(422, 'lines_required', 'An appointment needs at least one service line.');
    case 'therapist_not_found':
      return new ApiError(
        422,
        'therapist_not_found',
        `No active therapist ${r.therapistId} in this practice.`,
      );
    case 'therapist_not_allowed':
      return new ApiError(
        422,
        'therapist_not_allowed',
        `Therapist ${r.therapistId} does not give chain ${r.chainId}.`,
      );
    case 'room_not_found':
      return new ApiError(422, 'room_not_found', `No room ${r.roomId} in this practice.`);
  }
}
