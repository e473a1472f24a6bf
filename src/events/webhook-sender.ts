import type { DeliveryRow } from '../db/outbox.js';
import { signatureHeader } from './webhook-signature.js';

export interface WebhookConfig {
  url: string;
  /** `whsec_…` secrets: the current one first; two while receivers move to a new one. */
  secrets: string[];
  timeoutMs: number;
}

/**
 * Delivers one queued event to the webhook, signed: its body as queued, its id the same on every retry (receivers
 * deduplicate on it), its timestamp the attempt's. A 2xx answer delivers it; anything else is retried by the dispatcher.
 */
export function webhookSender(config: WebhookConfig, now: () => Date = () => new Date()) {
  return async (payload: Record<string, unknown>, row: DeliveryRow): Promise<void> => {
    const id = `msg_${row.id}`;
    const timestamp = Math.floor(now().getTime() / 1000);
    const body = JSON.stringify(payload);
    const response = await fetch(config.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signatureHeader(config.secrets, id, timestamp, body),
      },
      body,
      signal: AbortSignal.timeout(config.timeoutMs),
      redirect: 'manual',
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`the webhook answered ${response.status}`);
  };
}
