/**
 * The page the cancel link in the confirmation e-mail opens: it shows the booking and cancels it
 * with one button (a plain form, no script), until the practice's deadline.
 */
import { Hono } from 'hono';
import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { type BookingView, bookingViewOf, cancelBooking } from '../booking/cancel.ts';
import { ApiError } from '../problem.ts';
import { bookingOfLink, cancelLinks } from './bookings.ts';
import type { AppEnv } from './env.ts';
import { ICON_LINK, pageHeaders, pageStyle } from './pages.ts';
import { refusalError } from './refusals.ts';

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

const STYLE = pageStyle(
  `body{font:17px/1.5 system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
button{font:inherit;padding:.5rem 1rem;border-radius:.4rem;border:1px solid #b91c1c;background:#b91c1c;color:#fff;cursor:pointer}
button:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}.note{color:#475569}`,
);

function page(title: string, body: Html) {
  return html`<!doctype html>
<html lang="de"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
${ICON_LINK}
${STYLE.element}
</head><body><main><h1>${title}</h1>${body}</main></body></html>`;
}

function describeBooking(view: BookingView, practiceName: string) {
  const when = new Intl.DateTimeFormat('de-DE', {
    timeZone: view.timeZone,
    dateStyle: 'full',
    timeStyle: 'short',
  }).format(new Date(view.start));
  return html`<p><strong>${view.chain?.name ?? 'Termin'}</strong><br>${when} Uhr<br>bei ${view.therapist.name}, ${practiceName}</p>`;
}

const invalid = () => page('Link ungültig', html`<p>Dieser Link ist nicht gültig.</p>`);

export function cancelPage() {
  const resolve = (booking: string | undefined, token: string | undefined) => {
    const id = Number(booking);
    if (!Number.isInteger(id) || id <= 0 || !token) throw new ApiError(403, 'invalid_token', 'invalid link');
    return { id, token };
  };
  /** The page for a link whose appointment is cancelled or over: it shows nothing of it any more. */
  const ended = () =>
    page(
      'Link nicht mehr gültig',
      html`<p>Dieser Link gilt nicht mehr: der Termin ist abgesagt oder vorbei.</p><p class="note" lang="en">This link has ended: the appointment was cancelled or has taken place.</p>`,
    );

  return new Hono<AppEnv>()
    .use('/cancel', pageHeaders(STYLE))
    .get('/cancel', async (c) => {
      try {
        const { id, token: linkToken } = resolve(c.req.query('booking'), c.req.query('token'));
        const { clock } = c.get('deps');
        const { loaded: b } = await bookingOfLink(c, id, linkToken);
        const view = bookingViewOf(b, clock());
        const info = describeBooking(view, b.practice.name);
        if (!view.cancellable) {
          return c.html(
            page(
              'Absage online nicht mehr möglich',
              html`${info}<p>Bitte wenden Sie sich direkt an die Praxis.</p>`,
            ),
            409,
          );
        }
        const token = c.req.query('token')!;
        return c.html(
          page(
            'Termin absagen?',
            html`${info}<form method="post" action="/cancel"><input type="hidden" name="booking" value="${id}"><input type="hidden" name="token" value="${token}"><button type="submit">Termin verbindlich absagen</button></form><p class="note" lang="en">Cancel this appointment? The button cancels it for good.</p>`,
          ),
        );
      } catch (err) {
        if (err instanceof ApiError && err.code === 'link_expired') return c.html(ended(), 410);
        if (err instanceof ApiError) return c.html(invalid(), err.status === 404 ? 404 : 403);
        throw err;
      }
    })
    .post('/cancel', async (c) => {
      let booking: string | undefined;
      let token: string | undefined;
      try {
        const form = await c.req.parseBody();
        booking = typeof form.booking === 'string' ? form.booking : undefined;
        token = typeof form.token === 'string' ? form.token : undefined;
      } catch {
        return c.html(invalid(), 403);
      }
      try {
        const { id, token: linkToken } = resolve(booking, token);
        const { store, clock } = c.get('deps');
        const { practiceId, loaded: b } = await bookingOfLink(c, id, linkToken);
        const result = await cancelBooking(store, practiceId, id, {
          clock,
          lang: 'de',
          cancelUrl: cancelLinks(c, practiceId).cancelUrl(id),
        });
        if ('refusal' in result) throw refusalError(result.refusal, 'de');
        return c.html(
          page(
            'Termin abgesagt',
            html`${describeBooking(result.booking, b.practice.name)}<p>Ihr Termin ist abgesagt. Sie erhalten eine Bestätigung per E-Mail.</p>`,
          ),
        );
      } catch (err) {
        if (!(err instanceof ApiError)) throw err;
        if (err.code === 'link_expired') return c.html(ended(), 410);
        if (err.code === 'cancel_deadline_passed')
          return c.html(page('Absage online nicht mehr möglich', html`<p>${err.message}</p>`), 409);
        return c.html(invalid(), 403);
      }
    });
}
