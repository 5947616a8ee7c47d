/**
 * Client files (Akten) in the back office: search, a new file, and one file — its fields, access
 * code and direct link, its packages with their budget bars (green below 75 %, amber below 100 %,
 * red when exhausted: computed by the server with the same shared `bars()` the booking checks with)
 * and ledger, packages by hand, exclusions, and its appointments. What the plan or role does not
 * allow is not offered, and the page says why.
 */
import { signal } from '@preact/signals';
import { useEffect, useId, useRef } from 'preact/hooks';
import { api, error, ok, type Problem, status, wallClock } from './api.ts';
import { Choice } from './choice.tsx';
import type { Texts } from './texts.ts';

type Rights = { configure: boolean; packages: boolean; editPackages: boolean };
type Row = {
  id: number;
  firstName: string;
  lastName: string;
  email: string | null;
  phone: string | null;
  birthDate: string | null;
};
type Bar = {
  criterion: string;
  code?: string;
  limit: number;
  used: number;
  planned: number;
  ratio: number;
  colour: string;
};
type Limits = {
  maxAppointments: number | null;
  maxAmountCents: number | null;
  codeLimits: { code: string; maxQuantity: number | null; maxAmountCents: number | null }[];
};
type Pkg = {
  id: number;
  template: string;
  name: string;
  limits: Limits;
  validFrom: string | null;
  validUntil: string | null;
  status: string;
  origin: string;
  closedReason: string | null;
  bars: Bar[];
  ledger: { at: string; actor: string; action: string; details: Record<string, unknown> }[];
};
type File = {
  client: Row & { accessCode: string; consentAt: string | null; createdAt: string };
  exclusionHistory: {
    template: string;
    templateName: string;
    action: string;
    reason: string | null;
    by: string;
    at: string;
  }[];
  packages: Pkg[];
  exclusions: { template: string; templateName: string; reason: string; by: string; at: string }[];
  appointments: {
    id: number;
    start: string;
    end: string;
    status: string;
    therapist: string;
    chain: string | null;
    packages: number[];
  }[];
};

const results = signal<Row[] | null>(null);
const file = signal<File | null>(null);
const templates = signal<{ key: string; name: string }[]>([]);
const link = signal('');
const fieldErrors = signal<{ path: string; message: string }[]>([]);

const form = (e: Event) =>
  Object.fromEntries(new FormData(e.currentTarget as HTMLFormElement)) as Record<string, string>;
const orNull = (v: string | undefined) => (v?.trim() ? v.trim() : null);

async function search(q: string) {
  const res = await api.clients.$get({ query: { q, limit: '50' } });
  results.value = (await ok<{ clients: Row[] }>(res)).clients;
}

async function open(id: number) {
  link.value = '';
  fieldErrors.value = [];
  file.value = await ok<File>(await api.clients[':id'].$get({ param: { id: String(id) } }));
}

/** Runs a change; the answer is the file as it is now. A refusal is shown and tied to its fields. */
async function change(t: Texts, run: () => Promise<Response>) {
  try {
    file.value = await ok<File>(await run());
    fieldErrors.value = [];
    status.value = t.saved;
    return true;
  } catch (e) {
    fieldErrors.value = ((e as Problem).errors ?? []).map((x) => ({
      ...x,
      path: x.path.replace(/^json\./, ''),
    }));
    return false;
  }
}

function Field({
  label,
  name,
  value,
  type = 'text',
  required,
}: {
  label: string;
  name: string;
  value?: string | null;
  type?: string;
  required?: boolean;
}) {
  const id = useId();
  const problems = fieldErrors.value.filter((e) => e.path === name);
  return (
    <p class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        name={name}
        type={type as 'text'}
        required={required}
        value={value ?? ''}
        aria-invalid={problems.length > 0 ? 'true' : undefined}
        aria-describedby={problems.length > 0 ? `${id}-err` : undefined}
      />
      {problems.length > 0 && (
        <span id={`${id}-err`} class="field-error">
          {problems.map((p) => p.message).join('; ')}
        </span>
      )}
    </p>
  );
}

function ClientFields({ t, c }: { t: Texts; c?: Row }) {
  return (
    <div class="grid">
      <Field label={t.cl.firstName} name="firstName" value={c?.firstName} required />
      <Field label={t.cl.lastName} name="lastName" value={c?.lastName} required />
      <Field label={t.email} name="email" value={c?.email} type="email" />
      <Field label={t.cl.phone} name="phone" value={c?.phone} type="tel" />
      <Field label={t.cl.birthDate} name="birthDate" value={c?.birthDate} type="date" />
    </div>
  );
}

/**
 * Limits of the new package's own (ad hoc), when any is given: appointments, amount, and one
 * service code's quantity; otherwise the template's.
 */
function adHocLimits(v: Record<string, string>) {
  const num = (x?: string) => (x?.trim() ? Number(x.replace(',', '.')) : undefined);
  const max = num(v.maxAppointments);
  const euros = num(v.maxAmount);
  const code = v.limitCode?.trim();
  const quantity = num(v.limitQuantity);
  if (max === undefined && euros === undefined && !code) return {};
  return {
    limits: {
      ...(max !== undefined ? { maxAppointments: max } : {}),
      ...(euros !== undefined ? { maxAmountCents: Math.round(euros * 100) } : {}),
      codes: code ? [{ code, ...(quantity !== undefined ? { maxQuantity: quantity } : {}) }] : [],
    },
  };
}

const fieldsOf = (f: Record<string, string>) => ({
  firstName: f.firstName ?? '',
  lastName: f.lastName ?? '',
  email: orNull(f.email),
  phone: orNull(f.phone),
  birthDate: orNull(f.birthDate),
});

export function Clients({
  t,
  rights,
  head,
}: {
  t: Texts;
  rights: Rights;
  head: preact.Ref<HTMLHeadingElement>;
}) {
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    search('').catch(() => {});
    if (rights.packages) {
      api['package-templates']
        .$get()
        .then((res) => ok<{ packageTemplates: { key: string; name: string }[] }>(res))
        .then((b) => (templates.value = b.packageTemplates))
        .catch(() => {});
    }
  }, []);
  if (file.value) return <ClientFile t={t} rights={rights} head={head} f={file.value} />;
  return (
    <>
      <h1 tabIndex={-1} ref={head}>
        {t.cl.title}
      </h1>
      <p class="field">
        <label for="client-search">{t.cl.search}</label>
        <input
          id="client-search"
          type="search"
          aria-describedby="client-search-hint"
          onInput={(e) => {
            const q = e.currentTarget.value;
            clearTimeout(timer.current);
            timer.current = setTimeout(() => search(q).catch(() => {}), 200);
          }}
        />
        <span id="client-search-hint" class="hint">
          {t.cl.searchHint}
        </span>
      </p>
      <p role="status" class="hint">
        {results.value === null ? t.loading : t.cl.found(results.value.length)}
      </p>
      <ul class="results">
        {(results.value ?? []).map((c) => (
          <li key={c.id}>
            <button type="button" class="link" onClick={() => open(c.id).catch(() => {})}>
              {c.lastName}, {c.firstName}
            </button>{' '}
            <span class="hint">
              {[c.email, c.phone, c.birthDate && t.cl.born(c.birthDate)].filter(Boolean).join(' · ')}
            </span>
          </li>
        ))}
      </ul>
      <details class="item">
        <summary>{t.cl.newFile}</summary>
        <form
          onSubmit={async (e) => {
            e.preventDefault();
            const fields = fieldsOf(form(e));
            await change(t, () => api.clients.$post({ json: fields }));
          }}
        >
          <ClientFields t={t} />
          <button type="submit">{t.cl.create}</button>
        </form>
      </details>
    </>
  );
}

const criterionLabel = (t: Texts, b: Bar) =>
  b.criterion === 'appointments'
    ? t.cl.appointments
    : b.criterion === 'amount'
      ? t.cl.amount
      : b.criterion === 'codeAmount'
        ? `${b.code} (€)`
        : (b.code ?? '');

const amount = (t: Texts, b: Bar, n: number) =>
  b.criterion === 'amount' || b.criterion === 'codeAmount' ? t.euros(n) : String(n);

/** One criterion's bar: its colour, and in words "KG: 4 von 6 (davon 1 geplant)". */
function BudgetBar({ t, b }: { t: Texts; b: Bar }) {
  // Read aloud as written: "KG: 4 von 6 verbraucht, 1 geplant".
  const text = `${criterionLabel(t, b)}: ${t.cl.used(amount(t, b, b.used), amount(t, b, b.limit))}${b.planned ? t.cl.planned(amount(t, b, b.planned)) : ''}`;
  return (
    <div class={`bar ${b.colour}`}>
      <span class="track" aria-hidden="true">
        <span
          class="used"
          style={{ width: `${Math.min(100, Math.round((b.used / Math.max(b.limit, 1)) * 100))}%` }}
        />
        <span
          class="planned"
          style={{ width: `${Math.min(100, Math.round((b.planned / Math.max(b.limit, 1)) * 100))}%` }}
        />
      </span>
      <span>
        {text}
        <span class="sr"> ({t.cl.colours[b.colour as 'green']})</span>
      </span>
    </div>
  );
}

function PackageCard({ t, p, clientId, rights }: { t: Texts; p: Pkg; clientId: number; rights: Rights }) {
  const ids = { id: String(clientId), packageId: String(p.id) };
  const patch = (json: Record<string, unknown>) =>
    change(t, () => api.clients[':id'].packages[':packageId'].$patch({ param: ids, json }));
  return (
    <li class={`package ${p.status}`}>
      <h3>
        {p.name} <span class="hint">({p.template})</span>
      </h3>
      <p class="hint">
        {[
          p.status === 'closed'
            ? `${t.cl.closed}${p.closedReason ? `: ${p.closedReason}` : ''}`
            : t.cl.active,
          p.validFrom || p.validUntil ? t.cl.valid(p.validFrom, p.validUntil) : t.unlimited,
          p.origin === 'booking' ? t.cl.byBooking : t.cl.byHand,
        ].join(' · ')}
      </p>
      {p.bars.map((b) => (
        <BudgetBar key={`${b.criterion}${b.code ?? ''}`} t={t} b={b} />
      ))}
      {rights.editPackages && (
        <details>
          <summary>{t.cl.changePackage}</summary>
          <form
            onSubmit={async (e) => {
              e.preventDefault();
              const f = form(e);
              const num = (v?: string) => (v?.trim() ? Number(v.replace(',', '.')) : undefined);
              const codes = p.limits.codeLimits.map((l) => ({
                code: l.code,
                ...(num(f[`code-${l.code}`]) !== undefined ? { maxQuantity: num(f[`code-${l.code}`]) } : {}),
                ...(l.maxAmountCents !== null ? { maxAmountCents: l.maxAmountCents } : {}),
              }));
              const max = num(f.maxAppointments);
              const euros = num(f.maxAmount);
              await patch({
                limits: {
                  ...(max !== undefined ? { maxAppointments: max } : {}),
                  ...(euros !== undefined ? { maxAmountCents: Math.round(euros * 100) } : {}),
                  codes,
                },
                validFrom: orNull(f.validFrom),
                validUntil: orNull(f.validUntil),
              });
            }}
          >
            <div class="grid">
              <Field
                label={t.cfg.maxAppointments}
                name="maxAppointments"
                value={p.limits.maxAppointments?.toString()}
                type="number"
              />
              <Field
                label={t.cfg.maxAmount}
                name="maxAmount"
                value={p.limits.maxAmountCents === null ? null : (p.limits.maxAmountCents / 100).toFixed(2)}
              />
              {p.limits.codeLimits
                .filter((l) => l.maxQuantity !== null)
                .map((l) => (
                  <Field
                    key={l.code}
                    label={`${t.cfg.maxQuantity}: ${l.code}`}
                    name={`code-${l.code}`}
                    value={String(l.maxQuantity)}
                    type="number"
                  />
                ))}
              <Field label={t.cl.validFrom} name="validFrom" value={p.validFrom} type="date" />
              <Field label={t.cl.validUntil} name="validUntil" value={p.validUntil} type="date" />
            </div>
            <button type="submit">{t.cfg.save}</button>
          </form>
          {p.status === 'closed' ? (
            <button type="button" class="secondary" onClick={() => patch({ status: 'active' })}>
              {t.cl.reopen}
            </button>
          ) : (
            <form
              class="row"
              onSubmit={async (e) => {
                e.preventDefault();
                await patch({ status: 'closed', reason: form(e).reason });
              }}
            >
              <Field label={t.cl.reason} name="reason" required />
              <button type="submit" class="secondary">
                {t.cl.close}
              </button>
            </form>
          )}
        </details>
      )}
      <details>
        <summary>{t.cl.ledger(p.ledger.length)}</summary>
        <ol class="ledger">
          {p.ledger.map((l, i) => (
            <li key={i}>
              {wallClock(l.at, t.locale)} · {t.cl.actions[l.action as 'created'] ?? l.action} ·{' '}
              {l.actor.replace(/^staff:/, '')}
            </li>
          ))}
        </ol>
      </details>
    </li>
  );
}

function ClientFile({
  t,
  rights,
  head,
  f,
}: {
  t: Texts;
  rights: Rights;
  head: preact.Ref<HTMLHeadingElement>;
  f: File;
}) {
  const c = f.client;
  const id = { id: String(c.id) };
  useEffect(() => (head as { current: HTMLElement | null }).current?.focus(), [c.id]);
  return (
    <>
      <p>
        <button type="button" class="link" onClick={() => (file.value = null)}>
          ← {t.cl.back}
        </button>
      </p>
      <h1 tabIndex={-1} ref={head}>
        {c.firstName} {c.lastName}
      </h1>
      <form
        key={c.id}
        onSubmit={async (e) => {
          e.preventDefault();
          const fields = fieldsOf(form(e));
          await change(t, () => api.clients[':id'].$patch({ param: id, json: fields }));
        }}
      >
        <ClientFields t={t} c={c} />
        <button type="submit">{t.cfg.save}</button>
      </form>
      <h2>{t.cl.access}</h2>
      <p>
        {t.cl.accessCode}: <code>{c.accessCode}</code>{' '}
        <button
          type="button"
          class="secondary"
          onClick={async () => {
            await ok(await api.clients[':id']['access-code'].$post({ param: id })).catch(() => null);
            await open(c.id);
            status.value = t.cl.newCodeDone;
          }}
        >
          {t.cl.newCode}
        </button>{' '}
        {c.email && (
          <button
            type="button"
            class="secondary"
            onClick={async () => {
              const b = await ok<{ token: string }>(await api.clients[':id'].link.$get({ param: id })).catch(
                () => null,
              );
              if (!b) return;
              link.value = `?terminkette=${b.token}`;
              await navigator.clipboard?.writeText(link.value).catch(() => {});
              status.value = t.cfg.copied;
            }}
          >
            {t.cl.copyLink}
          </button>
        )}
      </p>
      {link.value && (
        <p class="link-out">
          {t.cl.linkHint} <code>{link.value}</code>
        </p>
      )}
      <h2>{t.cl.packages}</h2>
      {!rights.packages ? (
        <p>{t.planL}</p>
      ) : (
        <>
          {f.packages.length === 0 && <p>{t.cl.noPackages}</p>}
          <ul class="packages">
            {f.packages.map((p) => (
              <PackageCard key={p.id} t={t} p={p} clientId={c.id} rights={rights} />
            ))}
          </ul>
          {rights.editPackages ? (
            <details class="item">
              <summary>{t.cl.newPackage}</summary>
              <form
                onSubmit={async (e) => {
                  e.preventDefault();
                  const v = form(e);
                  await change(t, () =>
                    api.clients[':id'].packages.$post({
                      param: id,
                      json: {
                        template: v.template ?? '',
                        ...(orNull(v.name) ? { name: orNull(v.name)! } : {}),
                        ...(orNull(v.validFrom) ? { validFrom: orNull(v.validFrom)! } : {}),
                        ...(orNull(v.validUntil) ? { validUntil: orNull(v.validUntil)! } : {}),
                        ...adHocLimits(v),
                      },
                    }),
                  );
                }}
              >
                <div class="grid">
                  <Choice
                    id="new-package-template"
                    label={t.templates}
                    name="template"
                    options={templates.value.map((tp) => [tp.key, tp.name] as const)}
                  />
                  <Field label={t.name} name="name" />
                  <Field label={t.cl.validFrom} name="validFrom" type="date" />
                  <Field label={t.cl.validUntil} name="validUntil" type="date" />
                </div>
                <fieldset class="row limit">
                  <legend>{t.cl.ownLimits}</legend>
                  <Field label={t.cfg.maxAppointments} name="maxAppointments" type="number" />
                  <Field label={t.cfg.maxAmount} name="maxAmount" />
                  <Field label={t.cfg.code} name="limitCode" />
                  <Field label={t.cfg.maxQuantity} name="limitQuantity" type="number" />
                </fieldset>
                <p class="hint">{t.cl.newPackageHint}</p>
                <button type="submit">{t.cl.create}</button>
              </form>
            </details>
          ) : (
            <p class="hint">{t.cl.adminsOnL}</p>
          )}
          <h2>{t.cl.exclusions}</h2>
          <ul>
            {f.exclusions.map((x) => (
              <li key={x.template}>
                {x.templateName}: {x.reason}{' '}
                {rights.editPackages && (
                  <form
                    class="row"
                    onSubmit={async (e) => {
                      e.preventDefault();
                      const reason = orNull(form(e).reason);
                      await change(t, () =>
                        api.clients[':id'].exclusions[':template'].$delete({
                          param: { ...id, template: x.template },
                          query: reason ? { reason } : {},
                        }),
                      );
                    }}
                  >
                    <Field label={`${t.cl.reason}: ${x.templateName}`} name="reason" />
                    <button type="submit" class="secondary">
                      {t.cl.readmit}
                      <span class="sr">: {x.templateName}</span>
                    </button>
                  </form>
                )}
              </li>
            ))}
          </ul>
          {f.exclusionHistory.length > 0 && (
            <details>
              <summary>{t.cl.exclusionHistory(f.exclusionHistory.length)}</summary>
              <ol class="ledger">
                {f.exclusionHistory.map((h, i) => (
                  <li key={i}>
                    {wallClock(h.at, t.locale)} · {h.templateName} ·{' '}
                    {h.action === 'excluded' ? t.cl.excludedBy : t.cl.readmittedBy}{' '}
                    {h.by.replace(/^staff:/, '')}
                    {h.reason ? `: ${h.reason}` : ''}
                  </li>
                ))}
              </ol>
            </details>
          )}
          {rights.editPackages && (
            <form
              class="row"
              onSubmit={async (e) => {
                e.preventDefault();
                const v = form(e);
                await change(t, () =>
                  api.clients[':id'].exclusions.$post({
                    param: id,
                    json: { template: v.template ?? '', reason: v.reason ?? '' },
                  }),
                );
              }}
            >
              <Choice
                id="exclude-template"
                label={t.templates}
                name="template"
                options={templates.value.map((tp) => [tp.key, tp.name] as const)}
              />
              <Field label={t.cl.reason} name="reason" required />
              <button type="submit" class="secondary">
                {t.cl.exclude}
              </button>
            </form>
          )}
        </>
      )}
      <h2>{t.cl.appointmentsTitle}</h2>
      {f.appointments.length === 0 ? (
        <p>{t.cl.noAppointments}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t.cl.when}</th>
              <th scope="col">{t.cl.what}</th>
              <th scope="col">{t.cfg.therapists}</th>
              <th scope="col">{t.status}</th>
            </tr>
          </thead>
          <tbody>
            {f.appointments.map((a) => (
              <tr key={a.id}>
                <th scope="row">
                  {wallClock(a.start, t.locale, { dateStyle: 'medium', timeStyle: 'short' })}
                </th>
                <td>{a.chain ?? '–'}</td>
                <td>{a.therapist}</td>
                <td>{t.cl.statuses[a.status as 'booked'] ?? a.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>{t.cl.privacy}</h2>
      <p>
        <a href={`/api/v1/admin/clients/${c.id}/export`} download>
          {t.cl.exportData}
        </a>
      </p>
      {rights.configure ? (
        <details class="item">
          <summary>{t.cl.deleteFile}</summary>
          <p>{t.cl.deleteHint}</p>
          <button
            type="button"
            onClick={async () => {
              const res = await api.clients[':id'].$delete({ param: id });
              if (res.status === 204) {
                error.value = '';
                status.value = t.cl.deleted;
                file.value = null;
                await search('');
              } else await ok(res).catch(() => null);
            }}
          >
            {t.cl.deleteNow}
          </button>
        </details>
      ) : (
        <p class="hint">{t.cl.deleteAdmins}</p>
      )}
      {error.value && <p class="hint">{t.cl.seeAbove}</p>}
    </>
  );
}
