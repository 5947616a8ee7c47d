/** The server's own secrets (PostgreSQL: the app_secrets table; SQLite keeps its secret in a file, auth/secret.ts). */
import type { Tx } from '../store.ts';

/** The secret `name`: the one stored, or `candidate`, stored now if none was (the first instance to start wins). */
export async function keptSecret(tx: Tx, name: string, candidate: string, now: number): Promise<string> {
  await tx.run(
    'INSERT INTO app_secrets (name, value, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING',
    [name, candidate, now],
  );
  const row = await tx.get<{ value: string }>('SELECT value FROM app_secrets WHERE name = ?', [name]);
  return row!.value;
}
