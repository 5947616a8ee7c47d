/** Real server processes for the race and crash tests and the benchmark: `npm start`'s command on loopback. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { signEmailToken } from '../server/auth/tokens.ts';

export interface ServerProcess {
  url: string;
  child: ChildProcess;
  log: () => string;
  stop: (signal?: NodeJS.Signals) => Promise<void>;
}

export const TEST_SECRET = 'race-test-secret-0123456789abcdef0123456789';

/** The token /auth/verify gives a server started with TEST_SECRET, for an address without a file. */
export function verifiedAs(practiceId: number, email: string, now: number): string {
  return signEmailToken(TEST_SECRET, { practiceId, email }, now).token;
}

/**
 * Online limits high enough for a load from one address (loopback): for a practice's
 * `online_limits` column, so the race and crash tests measure races, not the rate limits.
 */
export const LOAD_TEST_LIMITS = JSON.stringify({
  bookingsPerAddress: { count: 1_000_000, minutes: 60 },
  holdsPerAddress: { count: 1_000_000, minutes: 60 },
  holdsPerPractice: { count: 1_000_000, minutes: 60 },
  codeRequestsPerAddress: { count: 1_000_000, minutes: 60 },
  verifyPerAddress: { count: 1_000_000, minutes: 60 },
});

/**
 * The Node flags `npm start` gives the server (package.json), so that tests and benchmark run it the
 * way it is run: `node FLAGS --import tsx server/main.ts`.
 */
export const START_FLAGS: string[] = (() => {
  const start: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).scripts
    .start;
  const m = /^node ((?:--[\w-]+(?:=\S+)? )*)--import tsx server\/main\.ts$/.exec(start);
  if (!m)
    throw new Error(
      `package.json's start script is not "node [flags] --import tsx server/main.ts": ${start}`,
    );
  return m[1]!.split(' ').filter(Boolean);
})();

/** Starts a server on 127.0.0.1 with a free port, as `npm start` runs it (plus `nodeArgs`); resolves once it listens. */
export function startServer(
  databasePath: string,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<ServerProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...START_FLAGS, ...nodeArgs, '--import', 'tsx', 'server/main.ts'],
      {
        env: {
          ...process.env,
          PORT: '0',
          HOST: '127.0.0.1',
          DATABASE_PATH: databasePath,
          APP_SECRET: TEST_SECRET,
          PUBLIC_URL: 'http://127.0.0.1',
          SMTP_URL: '',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: false,
      },
    );
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not start within 30 s:\n${output}`));
    }, 30_000);
    let started = false;
    const onData = (chunk: Buffer) => {
      // Keep the last 256 KB: a server under load logs every pending mail, and the process that
      // measures it must not spend its time on that.
      output += chunk.toString();
      if (output.length > 512 * 1024) output = output.slice(-256 * 1024);
      if (started) return;
      const m = /listening on http:\/\/[^:]+:(\d+)/.exec(output);
      if (m) {
        started = true;
        clearTimeout(timer);
        resolve({
          url: `http://127.0.0.1:${m[1]}`,
          child,
          log: () => output,
          stop: (signal = 'SIGTERM') =>
            new Promise<void>((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done();
              child.once('exit', () => done());
              child.kill(signal);
            }),
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: res.status, body: (await res.json()) as any };
}
