/**
 * Starting the server as an operator would (`npm start`: `node START_FLAGS --import tsx server/main.ts`): the secret it
 * signs links with survives a restart without any set-up, a weak APP_SECRET and a database it
 * cannot write stop it at once with one clear sentence and exit code 1 — no stack trace. A first
 * start has the demo practice, the built widget and the demo page that embeds it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { START_FLAGS, startServer } from '../support-process.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tk-start-'));
  dirs.push(dir);
  return dir;
}

/** Runs the server until it exits by itself (within 30 s); its exit code and output. */
function runToExit(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...START_FLAGS, '--import', 'tsx', 'server/main.ts'], {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', SMTP_URL: '', DATABASE_URL: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not exit within 30 s:\n${stdout}\n${stderr}`));
    }, 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('starting the server', () => {
  it('refuses a weak APP_SECRET with one sentence and exit code 1', async () => {
    const dir = tempDir();
    for (const secret of ['a'.repeat(32), 'short-secret', 'abababababababababababababababab']) {
      const run = await runToExit({ APP_SECRET: secret, DATABASE_PATH: join(dir, 'x.db') });
      expect(run.code).toBe(1);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(
        /^APP_SECRET is too weak: it has (\d+ characters|only \d+ different characters)/,
      );
      expect(run.stderr).not.toMatch(/\bat \S+:\d+:\d+/); // no stack trace
    }
  });

  it('says in one sentence that a database it cannot write stops it, and exits with 1', async () => {
    // /proc takes no new files, not even from root.
    const run = await runToExit({
      APP_SECRET: `${'x'.repeat(16)}abcdefghijklmnopqrstuvwxyz`,
      DATABASE_PATH: '/proc/terminkette-test.db',
    });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      'The database /proc/terminkette-test.db cannot be written (read-only file or folder, or no permission): Terminkette needs to write it. Check its permissions and those of its folder.',
    );
  });

  it('on a first start loads the demo practice and serves the built widget and the demo page that embeds it', async () => {
    const dir = tempDir();
    const server = await startServer(join(dir, 'terminkette.db'), { LOAD_DEMO: '' });
    try {
      expect(server.log()).toMatch(/loaded the demo practice "demo"/);
      const widget = await fetch(`${server.url}/widget.js`);
      expect(widget.status).toBe(200);
      expect(widget.headers.get('content-type')).toMatch(/javascript/);
      expect(await widget.text()).toContain('terminkette-booking');
      const demo = await fetch(`${server.url}/demo`);
      expect(demo.status).toBe(200);
      const html = await demo.text();
      expect(html).toContain('<terminkette-booking practice="demo"');
      expect(html).toMatch(/src="[^"]*\/widget\.js"/);
      // The practice's chains, as the widget asks for them.
      const chains = await (await fetch(`${server.url}/api/v1/p/demo/chains`)).json();
      expect(chains.chains.map((c: { key: string }) => c.key)).toContain('physio-erstbefund');
    } finally {
      await server.stop();
    }
  });

  it('generates a secret on the first start, keeps it beside the database (mode 0600) and uses it again after a restart', async () => {
    const dir = tempDir();
    const db = join(dir, 'terminkette.db');
    const env = { DATABASE_PATH: db, APP_SECRET: '', LOAD_DEMO: '0' };
    const first = await startServer(db, env);
    await first.stop();
    const file = `${db}.secret`;
    const secret = readFileSync(file, 'utf8').trim();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(first.log()).toContain(`generated one and kept it in ${file}`);

    const second = await startServer(db, env);
    await second.stop();
    expect(readFileSync(file, 'utf8').trim()).toBe(secret);
    expect(second.log()).not.toContain('generated one');
  });
});
