import { createHmac } from 'node:crypto';

// Standard Webhooks (https://www.standardwebhooks.com): each delivery carries `webhook-id`, `webhook-timestamp`
// (Unix seconds) and `webhook-signature`, a space-separated list of `v1,<base64 HMAC-SHA256>` of
// "<id>.<timestamp>.<body>", keyed with the secret's bytes (the base64 after `whsec_`).

const prefix = 'whsec_';

/** Whether a value is a secret in the `whsec_<base64>` form, of at least 16 bytes. */
export function isWebhookSecret(value: string): boolean {
  if (!value.startsWith(prefix)) return false;
  const encoded = value.slice(prefix.length);
  return /^[A-Za-z0-9+/]+={0,2}$/.test(encoded) && Buffer.from(encoded, 'base64').length >= 16;
}

/** The `webhook-signature` header: one signature per secret, so that a receiver holding either verifies (a rotation). */
export function signatureHeader(secrets: string[], id: string, timestamp: number, body: string): string {
  return secrets
    .map((secret) => {
      const key = Buffer.from(secret.slice(prefix.length), 'base64');
      return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
    })
    .join(' ');
}
