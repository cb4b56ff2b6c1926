// A fake OpenAI-compatible model server for the App Server tier (tests/appserver/run.sh).
// Node stdlib only. Listens on 127.0.0.1 on a free port and prints "PORT <n>" on stdout once ready.
//
//   GET  /v1/models            lists fake-model
//   POST /v1/chat/completions  streams REPLY (replies.mjs) as chat.completion.chunk SSE events,
//                              one piece every FAKE_PACE_MS (default 20), then finish_reason
//                              "stop", a usage chunk when stream_options.include_usage, and [DONE]
//
// Markers in the text of the last user message (Letta sends an array of parts; the user's text is
// the last part) change the reply:
//   #slow     one piece every FAKE_SLOW_PACE_MS (default 120) instead
//   #reason   streams delta.reasoning_content (REASONING) before the text
//   #tool     streams a call of the Read tool on FAKE_TOOL_FILE; the follow-up request, which carries
//             the tool's result in a "tool" message, is answered with TOOL_REPLY_PREFIX + the first
//             "appserver-token-..." word found in that result (so the text proves the tool ran)
//   #fail500  answers HTTP 500 (the App Server retries for ~35 s before giving up)
// Every request is appended to FAKE_LOG (default: stderr) as one JSON line.
import http from 'node:http';
import fs from 'node:fs';
import { REPLY, REASONING, TOOL_REPLY_PREFIX } from './replies.mjs';

const pace = Number(process.env.FAKE_PACE_MS ?? 20);
const slowPace = Number(process.env.FAKE_SLOW_PACE_MS ?? 120);
const toolFile = process.env.FAKE_TOOL_FILE ?? '/nonexistent';
const logPath = process.env.FAKE_LOG;

function log(entry) {
  const line = JSON.stringify({ t: new Date().toISOString(), ...entry }) + '\n';
  if (logPath) fs.appendFileSync(logPath, line);
  else process.stderr.write(line);
}

function textOf(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content) && content.length > 0) {
    const last = content[content.length - 1];
    return typeof last === 'string' ? last : (last?.text ?? '');
  }
  return '';
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function json(res, status, body) {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

async function streamCompletion(req, res, body) {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const prompt = textOf(lastUser?.content);
  const lastUserIdx = messages.lastIndexOf(lastUser);
  const toolResult = messages.slice(lastUserIdx + 1).find((m) => m.role === 'tool');
  const markers = ['#slow', '#reason', '#tool', '#fail500'].filter((m) => prompt.includes(m));
  log({ method: req.method, path: req.url, model: body.model, stream: body.stream,
        stream_options: body.stream_options, n_messages: messages.length,
        roles: messages.map((m) => m.role), prompt: prompt.slice(-200), markers,
        tool_result: toolResult ? textOf(toolResult.content).slice(0, 200) : undefined });

  if (markers.includes('#fail500')) {
    json(res, 500, { error: { message: 'fake upstream failure', type: 'server_error' } });
    return;
  }

  const id = `chatcmpl-fake-${Date.now()}`;
  const created = Math.floor(Date.now() / 1000);
  const model = body.model ?? 'fake-model';
  const chunk = (delta, finish = null) => ({ id, object: 'chat.completion.chunk', created, model,
                                             choices: [{ index: 0, delta, finish_reason: finish }] });
  let pieces = REPLY;
  let toolCall = null;
  if (toolResult) {
    const token = textOf(toolResult.content).match(/appserver-token-[0-9a-z]+/)?.[0] ?? '(no token)';
    pieces = [TOOL_REPLY_PREFIX, token, '.'];
  } else if (markers.includes('#tool')) {
    toolCall = { name: 'Read', arguments: JSON.stringify({ file_path: toolFile }) };
  }

  if (!body.stream) {
    const message = { role: 'assistant', content: toolCall ? null : pieces.join('') };
    if (toolCall) message.tool_calls = [{ id: 'call_fake_1', type: 'function', function: toolCall }];
    json(res, 200, { id, object: 'chat.completion', created, model,
                     choices: [{ index: 0, message, finish_reason: toolCall ? 'tool_calls' : 'stop' }],
                     usage: { prompt_tokens: 10, completion_tokens: pieces.length, total_tokens: 10 + pieces.length } });
    return;
  }

  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let closed = false;
  res.on('close', () => { closed = true; });
  const send = (obj) => { if (!closed) res.write(`data: ${typeof obj === 'string' ? obj : JSON.stringify(obj)}\n\n`); };
  const wait = markers.includes('#slow') ? slowPace : pace;

  send(chunk({ role: 'assistant', content: '' }));
  let completion = 0;
  if (markers.includes('#reason') && !toolResult) {
    for (const piece of REASONING) { await sleep(wait); send(chunk({ reasoning_content: piece })); completion++; }
  }
  let finish = 'stop';
  if (toolCall) {
    await sleep(wait);
    send(chunk({ tool_calls: [{ index: 0, id: 'call_fake_1', type: 'function',
                                function: { name: toolCall.name, arguments: '' } }] }));
    await sleep(wait);
    send(chunk({ tool_calls: [{ index: 0, function: { arguments: toolCall.arguments } }] }));
    completion += 2;
    finish = 'tool_calls';
  } else {
    for (const piece of pieces) { await sleep(wait); send(chunk({ content: piece })); completion++; }
  }
  await sleep(wait);
  send(chunk({}, finish));
  if (body.stream_options?.include_usage) {
    send({ id, object: 'chat.completion.chunk', created, model, choices: [],
           usage: { prompt_tokens: 10, completion_tokens: completion, total_tokens: 10 + completion } });
  }
  send('[DONE]');
  if (!closed) res.end();
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/v1/models') {
      log({ method: req.method, path });
      json(res, 200, { object: 'list', data: [{ id: 'fake-model', object: 'model', created: 0, owned_by: 'fake' }] });
      return;
    }
    if (req.method === 'POST' && path === '/v1/chat/completions') {
      let body;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        json(res, 400, { error: { message: 'bad JSON', type: 'invalid_request_error' } });
        return;
      }
      streamCompletion(req, res, body).catch((e) => {
        log({ error: String(e?.stack ?? e) });
        res.destroy();
      });
      return;
    }
    log({ method: req.method, path, status: 404 });
    json(res, 404, { error: { message: `no route ${req.method} ${path}`, type: 'invalid_request_error' } });
  });
});

// Port 0: the kernel picks a free one. Letta probes 8080, 1234 and 11434 for local providers, so
// the fake must never sit there; an ephemeral port never is, but check anyway.
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  if ([8080, 1234, 11434].includes(port)) {
    console.error(`fake_model: got reserved port ${port}`);
    process.exit(3);
  }
  process.stdout.write(`PORT ${port}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => { server.close(); process.exit(0); });
