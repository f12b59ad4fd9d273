/**
 * Connections of their own, outside the pool: the LISTEN session of the event notifications
 * and the session of the advisory locks. Connecting and every query are bounded, and ending
 * one never waits long for a server that does not answer (a frozen host, a partition), so
 * that neither a background tick nor a shutdown hangs on the database.
 */
import pg from "pg";

/** How long connecting or a query may take. */
const TIMEOUT_MS = 5000;
/** How long ending a session may wait for the server's goodbye. */
const GOODBYE_MS = 1000;

export function dedicatedClient(url: string, applicationName: string): pg.Client {
  return new pg.Client({
    connectionString: url,
    application_name: applicationName,
    connectionTimeoutMillis: TIMEOUT_MS,
    query_timeout: TIMEOUT_MS,
  });
}

/**
 * Ends the session (which also releases whatever it holds). A server that does not answer
 * the goodbye is not waited for: the socket goes when the server or the process does.
 */
export async function endClient(client: pg.Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, GOODBYE_MS);
    timer.unref();
  });
  await Promise.race([client.end().catch(() => undefined), late]);
  clearTimeout(timer);
}
