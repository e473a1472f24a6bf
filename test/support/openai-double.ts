import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatRequest {
  authorization: string | undefined;
  // The OpenAI chat-completions request body: model, messages, tools, response_format, stream.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  /** A grading call: it asks for JSON output. */
  grading: boolean;
}

export interface ChatAnswer {
  text?: string;
  toolCalls?: { name: string; arguments: unknown }[];
  usage?: { prompt: number; completion: number; cached?: number };
}

export type ChatBehaviour = (request: ChatRequest) => ChatAnswer;

export interface OpenAiDouble {
  /** The base URL, as OPENAI_BASE_URL takes it. */
  url: string;
  requests: ChatRequest[];
  close(): Promise<void>;
}

/** A real HTTP server speaking OpenAI's chat-completions protocol, plain and streamed (SSE). */
export async function startOpenAiDouble(behaviour: ChatBehaviour): Promise<OpenAiDouble> {
  const requests: ChatRequest[] = [];
  const server = createServer((req, res) => void handle(req, res));

  async function handle(req: IncomingMessage, res: ServerResponse) {
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'not found' } }));
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const request: ChatRequest = { authorization: req.headers.authorization, body, grading: body.response_format?.type === 'json_schema' };
    requests.push(request);
    const answer = behaviour(request);
    const toolCalls = (answer.toolCalls ?? []).map((call, index) => ({
      index,
      id: `call_${requests.length}_${index}`,
      type: 'function',
      function: { name: call.name, arguments: JSON.stringify(call.arguments) },
    }));
    const finishReason = toolCalls.length > 0 ? 'tool_calls' : 'stop';
    const usage = {
      prompt_tokens: answer.usage?.prompt ?? 10,
      completion_tokens: answer.usage?.completion ?? 5,
      total_tokens: (answer.usage?.prompt ?? 10) + (answer.usage?.completion ?? 5),
      prompt_tokens_details: { cached_tokens: answer.usage?.cached ?? 0 },
    };
    const base = { id: `chatcmpl-${requests.length}`, created: 1_700_000_000, model: body.model };
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          ...base,
          object: 'chat.completion',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: answer.text ?? null, ...(toolCalls.length ? { tool_calls: toolCalls } : {}) },
              finish_reason: finishReason,
            },
          ],
          usage,
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    const chunk = (delta: unknown, finish: string | null = null) =>
      send({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: finish }] });
    chunk({ role: 'assistant', content: '' });
    for (const word of (answer.text ?? '').split(/(?<= )/)) if (word) chunk({ content: word });
    if (toolCalls.length) chunk({ tool_calls: toolCalls });
    chunk({}, finishReason);
    send({ ...base, object: 'chat.completion.chunk', choices: [], usage });
    res.end('data: [DONE]\n\n');
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
