import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** An event the receiver accepted: its id and its parsed body. */
export interface ReceivedEvent {
  id: string;
  type: string;
  timestamp: string;
  data: Record<string, unknown>;
}

/** How the receiver answers the next delivery: as asked, or with a fault. */
export type Fault = 'error' | 'reset' | 'ok';

/**
 * A platform's webhook endpoint, written from the Standard Webhooks specification (not from the service's code): it
 * verifies `webhook-signature` against the secrets it holds (HMAC-SHA256 of "<id>.<timestamp>.<body>" keyed with the
 * base64 after `whsec_`, any `v1,` entry may match), refuses timestamps more than 5 minutes away, and deduplicates on
 * `webhook-id`. Faults are queued per delivery.
 */
export async function startWebhookReceiver(secrets: string[]) {
  const accepted: ReceivedEvent[] = [];
  const refused: string[] = [];
  const faults: Fault[] = [];
  let deliveries = 0;

  const verify = (request: IncomingMessage, body: string): string | undefined => {
    const id = request.headers['webhook-id'];
    const timestamp = request.headers['webhook-timestamp'];
    const signature = request.headers['webhook-signature'];
    if (typeof id !== 'string' || typeof timestamp !== 'string' || typeof signature !== 'string') return 'missing headers';
    if (!/^\d+$/.test(timestamp) || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return 'timestamp out of tolerance';
    const expected = secrets.map((secret) =>
      createHmac('sha256', Buffer.from(secret.replace(/^whsec_/, ''), 'base64')).update(`${id}.${timestamp}.${body}`).digest(),
    );
    const matches = signature.split(' ').some((entry) => {
      const [version, value] = entry.split(',');
      if (version !== 'v1' || !value) return false;
      const given = Buffer.from(value, 'base64');
      return expected.some((candidate) => candidate.length === given.length && timingSafeEqual(candidate, given));
    });
    return matches ? undefined : 'no signature matches';
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      deliveries++;
      const fault = faults.shift() ?? 'ok';
      if (fault === 'reset') {
        request.socket.destroy();
        return;
      }
      if (fault === 'error') {
        response.writeHead(500).end();
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      const problem = verify(request, body);
      if (problem) {
        refused.push(problem);
        response.writeHead(401).end();
        return;
      }
      const id = request.headers['webhook-id'] as string;
      if (!accepted.some((event) => event.id === id)) accepted.push({ id, ...(JSON.parse(body) as Omit<ReceivedEvent, 'id'>) });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/tutor`,
    accepted,
    refused,
    /** Faults for the next deliveries, in order. */
    fail: (...next: Fault[]) => faults.push(...next),
    deliveries: () => deliveries,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
