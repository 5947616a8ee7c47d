/**
 * The outbox: the mails the practice has written (confirmations, cancellations, codes) with their
 * delivery state; a sent or failed one can be sent again — a new copy, the original keeps its record.
 */
import { signal } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { api, ok, status, wallClock } from './api.ts';
import type { Texts } from './texts.ts';

type Mail = {
  id: number;
  kind: string;
  to: string;
  subject: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  lastError: string | null;
  createdAt: string;
  sentAt: string | null;
};

const mails = signal<Mail[] | null>(null);

async function load() {
  mails.value = (await ok<{ mails: Mail[] }>(await api.mails.$get({ query: {} }))).mails;
}

export function Mails({ t, head }: { t: Texts; head: preact.Ref<HTMLHeadingElement> }) {
  useEffect(() => {
    load().catch(() => {});
  }, []);
  return (
    <>
      <h1 tabIndex={-1} ref={head}>
        {t.mail.title}
      </h1>
      <p class="hint">{t.mail.intro}</p>
      {mails.value === null ? (
        <p>{t.loading}</p>
      ) : mails.value.length === 0 ? (
        <p>{t.mail.none}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t.mail.written}</th>
              <th scope="col">{t.mail.to}</th>
              <th scope="col">{t.mail.subject}</th>
              <th scope="col">{t.status}</th>
            </tr>
          </thead>
          <tbody>
            {mails.value.map((m) => (
              <tr key={m.id}>
                <th scope="row">
                  {wallClock(m.createdAt, t.locale, { dateStyle: 'short', timeStyle: 'short' })}
                </th>
                <td>{m.to || t.mail.removed}</td>
                <td>{m.subject || t.mail.removed}</td>
                <td>
                  {t.mail.states[m.status]}
                  {m.status === 'sent' &&
                    m.sentAt &&
                    ` (${wallClock(m.sentAt, t.locale, { timeStyle: 'short' })})`}
                  {m.status !== 'sent' && m.attempts > 0 && ` · ${t.mail.attempts(m.attempts)}`}
                  {m.lastError && <span class="hint"> · {m.lastError}</span>}{' '}
                  {m.status !== 'pending' && m.to !== '' && (
                    <button
                      type="button"
                      class="secondary"
                      onClick={async () => {
                        const done = await ok(
                          await api.mails[':id'].resend.$post({ param: { id: String(m.id) } }),
                        ).catch(() => null);
                        if (done) {
                          status.value = t.mail.queued;
                          await load();
                        }
                      }}
                    >
                      {t.mail.resend}
                      <span class="sr">: {m.subject}</span>
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
