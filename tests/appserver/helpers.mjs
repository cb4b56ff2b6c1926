// Small tools for tests/appserver/run.sh, run with the Node it installed. Node stdlib only.
//
//   helpers.mjs expected reply|reasoning|tool-prefix   print that text (no newline)
//   helpers.mjs free-port                              print a free loopback TCP port
//   helpers.mjs wait-ready URL SECONDS PID             poll URL until it answers 200 "ok";
//                                                      exit 1 on timeout or when PID has died
//   helpers.mjs timed-read OUT                         copy stdin to the file OUT; print
//                                                      "FIRST_MS END_MS READS": when the first
//                                                      byte and the end came (whole ms since this
//                                                      reader started), and how many reads
//   helpers.mjs check-jsonl FILE EXPECTED [REASONING]  check letta-stream -j output: every line a
//                                                      JSON object with a "type", "start" first,
//                                                      "done" last with exit_status 0, no "error"
//                                                      line, the "content" lines joined equal to
//                                                      the text in the file EXPECTED, and the
//                                                      "reasoning" lines, if any, to the text in
//                                                      REASONING (none allowed without it).
//                                                      Prints the line counts, or, exit 1, why not
import fs from 'node:fs';
import net from 'node:net';
import { REPLY, REASONING, TOOL_REPLY_PREFIX } from './replies.mjs';

const [cmd, ...args] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function fail(msg) {
  process.stdout.write(`${msg}\n`);
  process.exit(1);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitReady(url, seconds, pid) {
  const deadline = Date.now() + seconds * 1000;
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (pid && !alive(pid)) fail(`process ${pid} exited before ${url} was ready (${last})`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      const body = await res.text();
      if (res.status === 200 && body.trim() === 'ok') return;
      last = `HTTP ${res.status} ${body.trim().slice(0, 80)}`;
    } catch (e) {
      last = String(e?.cause?.code ?? e?.message ?? e);
    }
    await sleep(100);
  }
  fail(`${url} not ready after ${seconds} s (${last})`);
}

function checkJsonl(file, expectedFile, reasoningFile) {
  const expected = fs.readFileSync(expectedFile, 'utf8');
  const raw = fs.readFileSync(file, 'utf8');
  if (!raw.endsWith('\n')) fail('output does not end with a newline');
  const lines = raw.slice(0, -1).split('\n');
  const objs = lines.map((line, i) => {
    let o;
    try {
      o = JSON.parse(line);
    } catch (e) {
      fail(`line ${i + 1} is not JSON (${e.message}): ${line.slice(0, 120)}`);
    }
    if (o === null || typeof o !== 'object' || typeof o.type !== 'string') {
      fail(`line ${i + 1} is not an object with a "type": ${line.slice(0, 120)}`);
    }
    return o;
  });
  const types = objs.map((o) => o.type);
  if (types[0] !== 'start') fail(`first line is "${types[0]}", not "start"`);
  const last = objs[objs.length - 1];
  if (last.type !== 'done') fail(`last line is "${last.type}", not "done"`);
  if (last.exit_status !== 0) fail(`done line has exit_status ${JSON.stringify(last.exit_status)}`);
  if (types.slice(1, -1).includes('start') || types.slice(0, -1).includes('done')) {
    fail(`"start"/"done" not only first/last: ${types.join(',')}`);
  }
  const error = objs.find((o) => o.type === 'error');
  if (error) fail(`error line: ${JSON.stringify(error)}`);
  const content = objs.filter((o) => o.type === 'content').map((o) => o.content).join('');
  if (content !== expected) {
    fail(`content lines joined differ: got ${JSON.stringify(content)}, want ${JSON.stringify(expected)}`);
  }
  const reasoningLines = objs.filter((o) => o.type === 'reasoning');
  const reasoning = reasoningLines.map((o) => o.content).join('');
  const wantReasoning = reasoningFile ? fs.readFileSync(reasoningFile, 'utf8') : '';
  if (reasoningLines.length > 0 && reasoning !== wantReasoning) {
    fail(`reasoning lines joined differ: got ${JSON.stringify(reasoning)}, want ${JSON.stringify(wantReasoning)}`);
  }
  const count = (t) => types.filter((x) => x === t).length;
  process.stdout.write(`${count('content')} content lines, ${count('reasoning')} reasoning lines\n`);
}

switch (cmd) {
  case 'expected': {
    const texts = { reply: REPLY.join(''), reasoning: REASONING.join(''), 'tool-prefix': TOOL_REPLY_PREFIX };
    if (!(args[0] in texts)) fail(`expected: unknown text ${args[0]}`);
    process.stdout.write(texts[args[0]]);
    break;
  }
  case 'free-port': {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => process.stdout.write(`${port}\n`));
    });
    break;
  }
  case 'wait-ready':
    await waitReady(args[0], Number(args[1]), Number(args[2] ?? 0));
    break;
  case 'timed-read': {
    const t0 = process.hrtime.bigint();
    const ms = () => Number(process.hrtime.bigint() - t0) / 1e6;
    const out = fs.openSync(args[0], 'w');
    let first = null;
    let reads = 0;
    for await (const chunk of process.stdin) {
      if (first === null) first = ms();
      reads++;
      fs.writeSync(out, chunk);
    }
    fs.closeSync(out);
    const end = ms();
    process.stdout.write(`${Math.round(first ?? end)} ${Math.round(end)} ${reads}\n`);
    break;
  }
  case 'check-jsonl':
    checkJsonl(args[0], args[1], args[2]);
    break;
  default:
    fail(`helpers.mjs: unknown command ${cmd}`);
}
