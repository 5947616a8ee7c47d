/**
 * The page the cancel link in the confirmation e-mail opens: it shows the booking and cancels it
 * with one button (a plain form, no script), until the practice's deadline.
 */
import { type Context, Hono } from 'hono';
import type { AppEnv } from '../app.ts';
import { type BookingView, bookingView, cancelBooking, loadBooking } from '../booking/cancel.ts';
import { ApiError } from '../problem.ts';
import { byCancelToken, cancelLinks } from './bookings.ts';
import { refusalError } from './refusals.ts';

const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

function page(title: string, body: string, status: 200 | 403 | 404 | 409 = 200) {
  return {
    status,
    html: `<!doctype html>
<html lang="de"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>body{font:17px/1.5 system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
button{font:inherit;padding:.5rem 1rem;border-radius:.4rem;border:1px solid #b91c1c;background:#b91c1c;color:#fff;cursor:pointer}
button:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}.note{color:#475569}</style>
</head><body><main><h1>${esc(title)}</h1>${body}</main></body></html>`,
  };
}

function describeBooking(view: BookingView, practiceName: string): string {
  const when = new Intl.DateTimeFormat('de-DE', {
    timeZone: view.timeZone,
    dateStyle: 'full',
    timeStyle: 'short',
  }).format(new Date(view.start));
  return `<p><strong>${esc(view.chain?.name ?? 'Termin')}</strong><br>${esc(when)} Uhr<br>bei ${esc(view.therapist.name)}, ${esc(practiceName)}</p>`;
}

export function cancelPage() {
  const app = new Hono<AppEnv>();

  const resolve = (c: Context<AppEnv>, booking: string | undefined, token: string | undefined) => {
    const id = Number(booking);
    if (!Number.isInteger(id) || id <= 0 || !token) throw new ApiError(403, 'invalid_token', 'invalid link');
    return { id, ...byCancelToken(c, id, token) };
  };

  const render = (c: Context<AppEnv>, p: ReturnType<typeof page>) => c.html(p.html, p.status);

  app.get('/cancel', (c) => {
    try {
      const { id, practiceId } = resolve(c, c.req.query('booking'), c.req.query('token'));
      const { db, clock } = c.get('deps');
      const b = loadBooking(db, practiceId, id);
      const view = bookingView(b, clock());
      const info = describeBooking(view, b.practice.name);
      if (view.status === 'cancelled')
        return render(c, page('Termin abgesagt', `${info}<p>Dieser Termin ist bereits abgesagt.</p>`));
      if (!view.cancellable) {
        return render(
          c,
          page(
            'Absage online nicht mehr möglich',
            `${info}<p>Bitte wenden Sie sich direkt an die Praxis.</p>`,
            409,
          ),
        );
      }
      const token = c.req.query('token')!;
      return render(
        c,
        page(
          'Termin absagen?',
          `${info}<form method="post" action="/cancel"><input type="hidden" name="booking" value="${id}"><input type="hidden" name="token" value="${esc(token)}"><button type="submit">Termin verbindlich absagen</button></form><p class="note" lang="en">Cancel this appointment? The button cancels it for good.</p>`,
        ),
      );
    } catch (err) {
      if (err instanceof ApiError)
        return render(
          c,
          page('Link ungültig', '<p>Dieser Link ist nicht gültig.</p>', err.status === 404 ? 404 : 403),
        );
      throw err;
    }
  });

  app.post('/cancel', async (c) => {
    let booking: string | undefined;
    let token: string | undefined;
    try {
      const form = await c.req.parseBody();
      booking = typeof form.booking === 'string' ? form.booking : undefined;
      token = typeof form.token === 'string' ? form.token : undefined;
    } catch {
      return render(c, page('Link ungültig', '<p>Dieser Link ist nicht gültig.</p>', 403));
    }
    try {
      const { id, practiceId } = resolve(c, booking, token);
      const { db, clock } = c.get('deps');
      const result = await cancelBooking(db, practiceId, id, {
        clock,
        lang: 'de',
        cancelUrl: cancelLinks(c, practiceId).cancelUrl(id),
      });
      if ('refusal' in result) throw refusalError(result.refusal, 'de');
      const b = loadBooking(db, practiceId, id);
      return render(
        c,
        page(
          'Termin abgesagt',
          `${describeBooking(result.booking, b.practice.name)}<p>Ihr Termin ist abgesagt. Sie erhalten eine Bestätigung per E-Mail.</p>`,
        ),
      );
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      if (err.code === 'cancel_deadline_passed')
        return render(c, page('Absage online nicht mehr möglich', `<p>${esc(err.message)}</p>`, 409));
      return render(c, page('Link ungültig', '<p>Dieser Link ist nicht gültig.</p>', 403));
    }
  });

  return app;
}
