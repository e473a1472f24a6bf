#!/usr/bin/env bash
# Replays the Dockerfile's stages on a clean copy of the committed repository, without a Docker engine, and
# starts the result as the image would run it. It catches a broken step (a missing file, a failing install or
# build, a runtime that needs a dev dependency). Keep it in step with the Dockerfile.
set -euo pipefail
root=$(git rev-parse --show-toplevel)
work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "== build context: the committed tree"
mkdir -p "$work/context"
git -C "$root" archive HEAD | tar -x -C "$work/context"
cd "$work/context"
# Every path the Dockerfile copies from the context must be in it.
grep -E '^COPY ' Dockerfile | grep -v -- '--from=' | sed -E 's/^COPY +//' | while read -r line; do
  set -- $line
  while [ $# -gt 1 ]; do
    [ -e "$1" ] || { echo "Dockerfile copies $1, which is not in the build context" >&2; exit 1; }
    shift
  done
done

echo "== stage deps: npm ci"
mkdir -p "$work/deps"
cp package.json package-lock.json .npmrc "$work/deps/"
(cd "$work/deps" && npm ci --no-audit --no-fund --no-progress >/dev/null)

echo "== stage build: npm run build"
mkdir -p "$work/deps/scripts"
cp scripts/build.mjs "$work/deps/scripts/"
cp -r tsconfig.json src web drizzle "$work/deps/"
(cd "$work/deps" && npm run build >/dev/null)

echo "== stage runtime: npm ci --omit=dev, dist, drizzle, curriculum"
mkdir -p "$work/runtime"
cp package.json package-lock.json .npmrc "$work/runtime/"
(cd "$work/runtime" && npm ci --omit=dev --no-audit --no-fund --no-progress >/dev/null)
cp -r "$work/deps/dist" drizzle curriculum "$work/runtime/"

# The bundle calls the model through the AI SDK: a session's opening message, against a minimal Gemini double, must
# come back.
llm_check() {
  cat >"$work/llm-check.mjs" <<'CHECK'
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
const gemini = createServer((request, response) => {
  request.resume().on('end', () => {
    response.writeHead(200, { 'content-type': 'application/json' });
    const parts = [{ text: 'Hello from the rehearsal double.' }];
    response.end(JSON.stringify({ candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }], usageMetadata: { promptTokenCount: 1, candidatesTokenCount: 1 } }));
  });
}).listen(0, '127.0.0.1');
await new Promise((resolve) => gemini.once('listening', resolve));
const [command, ...args] = process.argv.slice(2);
const port = String(40000 + Math.floor(Math.random() * 20000));
const env = { PATH: process.env.PATH, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: port, DATA_DIR: process.env.DATA_DIR, GEMINI_API_KEY: 'rehearsal', GEMINI_BASE_URL: `http://127.0.0.1:${gemini.address().port}` };
const server = spawn(command, args, { env, stdio: 'inherit' });
const base = `http://127.0.0.1:${port}`;
let outcome = 'the service did not become healthy';
for (let i = 0; i < 60; i++) {
  const healthy = await fetch(`${base}/api/health`).then((r) => r.ok, () => false);
  if (healthy) {
    const started = await fetch(`${base}/api/sessions/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user_id: 1, course_id: 2, topic_id: 5 }) });
    const body = await started.json();
    outcome = started.status === 201 && body.initial_message === 'Hello from the rehearsal double.' ? '' : `start session: ${started.status} ${JSON.stringify(body)}`;
    break;
  }
  await new Promise((resolve) => setTimeout(resolve, 500));
}
server.kill();
gemini.close();
if (outcome) { console.error(outcome); process.exit(1); }
CHECK
  DATA_DIR="$work/data-llm" node "$work/llm-check.mjs" $cmd >"$work/llm-check.log" 2>&1 || {
    echo "the rehearsed image could not answer a session's opening message from Gemini:" >&2
    cat "$work/llm-check.log" >&2
    exit 1
  }
}

echo "== run: the image's CMD, then the HEALTHCHECK"
# The image must run the service as npm start does, with the same Node.js flags.
cmd=$(node -e "const line = require('fs').readFileSync('Dockerfile', 'utf8').split('\\n').find((l) => l.startsWith('CMD ')); console.log(JSON.parse(line.slice(4)).join(' '))")
start=$(node -p "require('./package.json').scripts.start")
[ "$cmd" = "$start" ] || { echo "Dockerfile CMD ($cmd) differs from npm start ($start)" >&2; exit 1; }
port=$(node -e "const s=require('net').createServer().listen(0,()=>{console.log(s.address().port);s.close()})")
cd "$work/runtime"
NODE_ENV=production HOST=127.0.0.1 PORT=$port DATA_DIR="$work/data" $cmd >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 60); do
  if PORT=$port node -e "fetch('http://127.0.0.1:' + process.env.PORT + '/api/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then
    # The bundle serves the docs' scripts and styles from node_modules, and the web app from dist/web: they must be
    # found at run time.
    for asset in /docs/static/swagger-ui.css /redoc/redoc.standalone.js /app/ /app/config.json; do
      PORT=$port ASSET=$asset node -e "fetch('http://127.0.0.1:' + process.env.PORT + process.env.ASSET).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))" ||
        { echo "the rehearsed image does not serve $asset" >&2; exit 1; }
    done
    kill "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
    llm_check
    echo "rehearsal passed: the image's server starts, is healthy, serves its docs and the web app, and calls Gemini"
    exit 0
  fi
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.5
done
echo "the rehearsed image did not become healthy:" >&2
cat "$work/server.log" >&2
exit 1
