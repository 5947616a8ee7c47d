/**
 * The back office: staff log in, see their practice, and admins manage the practice's users. It
 * talks to /api/v1/admin through the typed client `hc<AppType>`; the session is an HttpOnly cookie
 * (the browser sends it), and every state-changing request carries the session's CSRF token.
 */
import { signal } from '@preact/signals';
import { type InputHTMLAttributes, render } from 'preact';
import { useEffect, useId, useRef } from 'preact/hooks';
import { api, csrf, error, ok, practiceZone, status } from './api.ts';
import './style.css';
import { Calendar } from './calendar.tsx';
import { Clients } from './clients.tsx';
import { type ConfigPage, Configuration, configPages } from './config.tsx';
import { Mails } from './mails.tsx';
import { type Lang, texts } from './texts.ts';

const lang: Lang = new URLSearchParams(location.search).get('lang') === 'en' ? 'en' : 'de';
document.documentElement.lang = lang;
const t = texts(lang);

type Session = {
  user: { id: number; name: string; role: 'admin' | 'staff' };
  practice: { slug: string; name: string; plan: string; timeZone: string };
  rights: { configure: boolean; packages: boolean; editPackages: boolean };
  csrfToken: string;
};
type User = { id: number; email: string; name: string; role: 'admin' | 'staff'; active: boolean };

const session = signal<Session | null | undefined>(undefined);
const page = signal<'home' | 'users' | 'templates' | 'config' | 'clients' | 'calendar' | 'mails'>('home');
const configPage = signal<ConfigPage>('settings');
const PLANS = ['S', 'M', 'L', 'XL', 'XXL'];

async function loadSession() {
  const res = await api.me.$get();
  if (res.status === 200) {
    const s = (await res.json()) as Session;
    csrf.value = s.csrfToken;
    practiceZone.value = s.practice.timeZone;
    session.value = s;
  } else session.value = null;
}

function Field({ label, ...input }: { label: string } & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  return (
    <p class="field">
      <label for={id}>{label}</label>
      <input id={id} required {...input} />
    </p>
  );
}

const form = (e: Event) =>
  Object.fromEntries(new FormData(e.currentTarget as HTMLFormElement)) as Record<string, string>;

function Login() {
  return (
    <main>
      <h1>Terminkette – {t.title}</h1>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const f = form(e);
          const s = await ok<Session>(
            await api.login.$post({
              json: { practice: f.practice!, email: f.email!, password: f.password! },
            }),
          ).catch(() => null);
          if (s) {
            csrf.value = s.csrfToken;
            practiceZone.value = s.practice.timeZone;
            session.value = s;
          }
        }}
      >
        <Field label={t.practice} name="practice" autocomplete="organization" value="demo" />
        <Field label={t.email} name="email" type="email" autocomplete="username" />
        <Field label={t.password} name="password" type="password" autocomplete="current-password" />
        <button type="submit">{t.login}</button>
      </form>
    </main>
  );
}

function Shell({ s }: { s: Session }) {
  const head = useRef<HTMLHeadingElement>(null);
  const isAdmin = s.user.role === 'admin';
  useEffect(() => head.current?.focus(), [page.value, configPage.value]);
  return (
    <>
      <header>
        <p>
          <strong>{s.practice.name}</strong> · {t.plan(s.practice.plan)} ·{' '}
          {t.signedIn(s.user.name, isAdmin ? t.admin : t.staff)}{' '}
          <button
            type="button"
            class="link"
            onClick={async () => {
              await api.logout.$post();
              csrf.value = '';
              session.value = null;
            }}
          >
            {t.logout}
          </button>{' '}
          <a href={lang === 'en' ? '?' : '?lang=en'}>{t.lang}</a>
        </p>
        <nav aria-label={t.title}>
          <button
            type="button"
            aria-current={page.value === 'home' ? 'page' : undefined}
            onClick={() => (page.value = 'home')}
          >
            {t.title}
          </button>{' '}
          <NavItem to="calendar" label={t.cal.title} why={null} />{' '}
          <NavItem to="clients" label={t.cl.title} why={null} />{' '}
          <NavItem to="mails" label={t.mail.title} why={null} />{' '}
          <NavItem to="config" label={t.cfg.title} why={isAdmin ? null : t.adminsOnly} />{' '}
          <NavItem to="users" label={t.users} why={isAdmin ? null : t.adminsOnly} />{' '}
          <NavItem
            to="templates"
            label={t.templates}
            why={PLANS.indexOf(s.practice.plan) >= PLANS.indexOf('L') ? null : t.planL}
          />
        </nav>
      </header>
      <main>
        <p role="alert" class="error">
          {error.value}
        </p>
        <p role="status" class="sr">
          {status.value}
        </p>
        {page.value === 'mails' ? (
          <Mails t={t} head={head} />
        ) : page.value === 'calendar' ? (
          <Calendar t={t} head={head} rights={s.rights} />
        ) : page.value === 'clients' ? (
          <Clients t={t} rights={s.rights} head={head} />
        ) : page.value === 'config' && isAdmin ? (
          <>
            <h1 tabIndex={-1} ref={head}>
              {t.cfg.title}: {configPages(t, s.practice.plan).find(([p]) => p === configPage.value)?.[1]}
            </h1>
            <nav aria-label={t.cfg.title} class="subnav">
              {configPages(t, s.practice.plan).map(([p, label]) => (
                <button
                  key={p}
                  type="button"
                  aria-current={configPage.value === p ? 'page' : undefined}
                  onClick={() => (configPage.value = p)}
                >
                  {label}
                </button>
              ))}
            </nav>
            <Configuration t={t} which={configPage.value} plan={s.practice.plan} slug={s.practice.slug} />
          </>
        ) : page.value === 'users' && isAdmin ? (
          <Users head={head} />
        ) : page.value === 'templates' ? (
          <Templates head={head} />
        ) : (
          <>
            <h1 tabIndex={-1} ref={head}>
              {t.title}
            </h1>
            <p>{t.welcome}</p>
            {isAdmin && (
              <p>
                <a href="/api/v1/admin/practice/document" download>
                  {t.document}
                </a>
              </p>
            )}
          </>
        )}
      </main>
    </>
  );
}

/** A page of the navigation; where the role or the plan does not allow it, marked so, with the reason. */
function NavItem({
  to,
  label,
  why,
}: {
  to: 'users' | 'templates' | 'config' | 'clients' | 'calendar' | 'mails';
  label: string;
  why: string | null;
}) {
  const id = `why-${to}`;
  return (
    <>
      <button
        type="button"
        aria-current={page.value === to ? 'page' : undefined}
        aria-disabled={why !== null}
        aria-describedby={why === null ? undefined : id}
        onClick={() => {
          if (why === null) page.value = to;
        }}
      >
        {label}
      </button>
      {why !== null && (
        <span id={id} class="why">
          {' '}
          ({label}: {why})
        </span>
      )}
    </>
  );
}

type Template = {
  key: string;
  name: string;
  limits: {
    maxAppointments?: number;
    maxAmountCents?: number;
    codes: { code: string; maxQuantity?: number; maxAmountCents?: number }[];
  };
  validity: { kind: string; days?: number };
};
const templates = signal<Template[] | null>(null);

function Templates({ head }: { head: preact.Ref<HTMLHeadingElement> }) {
  useEffect(() => {
    api['package-templates']
      .$get()
      .then((res) => ok<{ packageTemplates: Template[] }>(res))
      .then((b) => (templates.value = b.packageTemplates))
      .catch(() => {});
  }, []);
  const limits = (l: Template['limits']) =>
    [
      l.maxAppointments && t.appointments(l.maxAppointments),
      l.maxAmountCents && t.euros(l.maxAmountCents),
      ...l.codes.map(
        (c) => `${c.code}: ${c.maxQuantity ?? ''}${c.maxAmountCents ? ` ${t.euros(c.maxAmountCents)}` : ''}`,
      ),
    ]
      .filter(Boolean)
      .join(', ');
  return (
    <>
      <h1 tabIndex={-1} ref={head}>
        {t.templates}
      </h1>
      {templates.value === null ? (
        <p>{t.loading}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t.name}</th>
              <th scope="col">{t.limits}</th>
              <th scope="col">{t.validity}</th>
            </tr>
          </thead>
          <tbody>
            {templates.value.map((tp) => (
              <tr key={tp.key}>
                <th scope="row">{tp.name}</th>
                <td>{limits(tp.limits)}</td>
                <td>
                  {tp.validity.kind === 'days'
                    ? t.days(tp.validity.days ?? 0)
                    : tp.validity.kind === 'calendar_year'
                      ? t.calendarYear
                      : t.unlimited}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

const users = signal<User[] | null>(null);
const invited = signal<{ name: string; link: string } | null>(null);

async function loadUsers() {
  users.value = (await ok<{ users: User[] }>(await api.users.$get())).users;
}

function Users({ head }: { head: preact.Ref<HTMLHeadingElement> }) {
  useEffect(() => {
    loadUsers().catch(() => {});
  }, []);
  const change = async (u: User, json: { role?: 'admin' | 'staff'; active?: boolean }) => {
    await ok(await api.users[':id'].$patch({ param: { id: String(u.id) }, json })).catch(() => null);
    status.value = t.saved;
    await loadUsers().catch(() => {});
  };
  return (
    <>
      <h1 tabIndex={-1} ref={head}>
        {t.users}
      </h1>
      {users.value === null ? (
        <p>{t.loading}</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">{t.name}</th>
              <th scope="col">{t.email}</th>
              <th scope="col">{t.role}</th>
              <th scope="col">{t.status}</th>
            </tr>
          </thead>
          <tbody>
            {users.value.map((u) => (
              <tr key={u.id}>
                <th scope="row">{u.name}</th>
                <td>{u.email}</td>
                <td>
                  <select
                    aria-label={`${t.role}: ${u.name}`}
                    value={u.role}
                    onChange={(e) => change(u, { role: e.currentTarget.value as 'admin' | 'staff' })}
                  >
                    <option value="admin">{t.admin}</option>
                    <option value="staff">{t.staff}</option>
                  </select>
                </td>
                <td>
                  {u.active ? t.active : t.inactive}{' '}
                  <button type="button" class="link" onClick={() => change(u, { active: !u.active })}>
                    {u.active ? t.deactivate : t.activate}
                    <span class="sr">: {u.name}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>{t.inviteTitle}</h2>
      <form
        onSubmit={async (e) => {
          e.preventDefault();
          const f = form(e);
          const done = await ok<{ user: User; link: string }>(
            await api.users.$post({
              json: { email: f.email!, name: f.name!, role: (f.role as 'admin' | 'staff') ?? 'staff' },
            }),
          ).catch(() => null);
          if (done) {
            invited.value = { name: done.user.name, link: done.link };
            (e.target as HTMLFormElement).reset();
            await loadUsers().catch(() => {});
          }
        }}
      >
        <Field label={t.name} name="name" autocomplete="off" />
        <Field label={t.email} name="email" type="email" autocomplete="off" />
        <p class="field">
          <label for="invite-role">{t.role}</label>
          <select id="invite-role" name="role">
            <option value="staff">{t.staff}</option>
            <option value="admin">{t.admin}</option>
          </select>
        </p>
        <button type="submit">{t.invite}</button>
      </form>
      {invited.value && (
        <p class="link-out">
          {t.link(invited.value.name)} <code>{invited.value.link}</code>
        </p>
      )}
    </>
  );
}

function App() {
  if (session.value === undefined) return <p>{t.loading}</p>;
  return session.value ? <Shell s={session.value} /> : <Login />;
}

loadSession().catch(() => (session.value = null));
render(<App />, document.getElementById('app')!);
