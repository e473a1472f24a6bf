import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the double received, as Gemini would see it. */
export interface GeminiRequest {
  model: string;
  stream: boolean;
  apiKey: string | undefined;
  // The Gemini REST request body: contents, systemInstruction, tools, generationConfig, safetySettings.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  /** A grading call: it asks for JSON output. */
  grading: boolean;
  systemText: string;
  /** When the first streamed chunk was written (`process.hrtime.bigint()`, comparable across processes). */
  firstChunkAt?: bigint;
}

/** What the double answers: a model turn, or an HTTP error. */
export type GeminiAnswer =
  | {
      text?: string;
      /** With a `thoughtSignature`, as Gemini 3 signs the parts of its thinking models' calls. */
      functionCalls?: { name: string; args: unknown; thoughtSignature?: string }[];
      finishReason?: string;
      usage?: { prompt: number; output: number; cached?: number };
      /** Milliseconds to wait before answering. */
      delayMs?: number;
      /** Milliseconds between streamed chunks. */
      chunkDelayMs?: number;
      /** How many chunks a streamed text comes in (3 unless given). */
      chunks?: number;
    }
  | { status: number; message?: string; headers?: Record<string, string>; delayMs?: number };

export type GeminiBehaviour = (request: GeminiRequest, index: number) => GeminiAnswer | Promise<GeminiAnswer>;

export interface GeminiDouble {
  /** The API root, as GEMINI_BASE_URL takes it. */
  url: string;
  requests: GeminiRequest[];
  behave(behaviour: GeminiBehaviour): void;
  close(): Promise<void>;
}

/**
 * A real HTTP server speaking the Gemini REST protocol (`models/{model}:generateContent` and
 * `:streamGenerateContent?alt=sse`), so that the real SDK and the real HTTP client are exercised.
 */
export async function startGeminiDouble(behaviour: GeminiBehaviour): Promise<GeminiDouble> {
  const requests: GeminiRequest[] = [];
  let current = behaviour;
  const server = createServer((req, res) => {
    void handle(req, res).catch((error: Error) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 500, message: `double failed: ${error.message}`, status: 'INTERNAL' } }));
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const match = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent)(\?.*)?$/.exec(req.url ?? '');
    if (req.method !== 'POST' || !match) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 404, message: `no route ${req.method} ${req.url}`, status: 'NOT_FOUND' } }));
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const request: GeminiRequest = {
      model: match[1]!,
      stream: match[2] === 'streamGenerateContent',
      apiKey: req.headers['x-goog-api-key'] as string | undefined,
      body,
      grading: body.generationConfig?.responseMimeType === 'application/json',
      systemText: (body.systemInstruction?.parts ?? []).map((part: { text?: string }) => part.text ?? '').join(''),
    };
    requests.push(request);
    const answer = await current(request, requests.length - 1);
    if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
    if ('status' in answer) {
      res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers });
      res.end(JSON.stringify({ error: { code: answer.status, message: answer.message ?? 'error', status: 'UNAVAILABLE' } }));
      return;
    }
    const parts = [
      ...(answer.text !== undefined ? [{ text: answer.text }] : []),
      ...(answer.functionCalls ?? []).map(({ thoughtSignature, ...call }) => ({ functionCall: call, ...(thoughtSignature ? { thoughtSignature } : {}) })),
    ];
    const usageMetadata = {
      promptTokenCount: answer.usage?.prompt ?? 10,
      candidatesTokenCount: answer.usage?.output ?? 5,
      totalTokenCount: (answer.usage?.prompt ?? 10) + (answer.usage?.output ?? 5),
      ...(answer.usage?.cached ? { cachedContentTokenCount: answer.usage.cached } : {}),
    };
    const finishReason = answer.finishReason ?? 'STOP';
    if (!request.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ candidates: [{ content: { role: 'model', parts }, finishReason, index: 0 }], usageMetadata }));
      return;
    }
    // Streamed: the text in several chunks, function calls in the last one with the finish reason and usage.
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const pieces = answer.text ? splitText(answer.text, answer.chunks ?? 3) : [];
    for (const piece of pieces) {
      if (answer.chunkDelayMs) await new Promise((resolve) => setTimeout(resolve, answer.chunkDelayMs));
      request.firstChunkAt ??= process.hrtime.bigint();
      res.write(`data: ${JSON.stringify({ candidates: [{ content: { role: 'model', parts: [{ text: piece }] }, index: 0 }] })}\r\n\r\n`);
    }
    const last = { candidates: [{ content: { role: 'model', parts: parts.filter((p) => !('text' in p)) }, finishReason, index: 0 }], usageMetadata };
    res.end(`data: ${JSON.stringify(last)}\r\n\r\n`);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    behave: (next) => {
      current = next;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // the SDK's HTTP client keeps connections alive
      }),
  };
}

function splitText(text: string, chunks: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / chunks));
  const pieces: string[] = [];
  for (let at = 0; at < text.length; at += size) pieces.push(text.slice(at, at + size));
  return pieces;
}
