#!/usr/bin/env bash
# `npm run demo`: the whole thing on this machine, non-interactively. Installs what is missing,
# starts the local stack (Temporal dev server with its UI, Kubernetes with its data plane: Traefik and
# one stand-in process per pod, Prometheus, moto, sinks...), a worker, users (the load generator through
# Traefik: the plan's metrics are what they get), and a release of examples/local-plan.yaml; approves it
# with three signed demo keys and follows it with `hwayo-release watch`. Stop everything with
# `npm run demo:stop`.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
STACK="${HWAYO_STACK_DIR:-$ROOT/.stack}"
DEMO="$STACK/demo"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
cli() { node "$ROOT/bin/hwayo-release" "$@"; }
# Node >= 22 first on PATH: the pinned one (scripts/install/node.sh) when the machine's is older.
NODE_BIN=$(bash scripts/install/node.sh)
[ -z "$NODE_BIN" ] || export PATH="$NODE_BIN:$PATH"

if [ "${1:-}" = stop ]; then
  bash "$ROOT/scripts/stack/down.sh" # stops the demo worker first
  exit 0
fi

[ -d node_modules ] || { say "installing npm packages"; npm ci; }
say "starting the local stack (first run builds Kubernetes from source: ~10 min)"
bash scripts/stack/up.sh
# shellcheck disable=SC1091
source "$STACK/env"
say "building"
npm run build --silent

mkdir -p "$DEMO/keys"
say "worker identity: least-privilege ServiceAccount (deploy/kubernetes)"
bash scripts/worker-kubeconfig.sh "$DEMO/worker.kubeconfig" >/dev/null

say "approver keys and the demo plan"
for id in alice bob carol; do
  [ -f "$DEMO/keys/$id.key" ] || cli keys generate --id "$id" --out "$DEMO/keys" >/dev/null
done
node -e '
  const fs = require("fs"); const yaml = require("yaml");
  const [src, out, dir] = process.argv.slice(1);
  const { publicKeyOf } = require("./dist/src/workflows/signatures.js");
  const { fromBase64 } = require("./dist/src/plan/public-keys.js");
  const doc = yaml.parse(fs.readFileSync(src, "utf8"));
  for (const a of doc.approval.approvers)
    a.publicKey = publicKeyOf(fromBase64(fs.readFileSync(`${dir}/${a.id}.key`, "utf8").trim()));
  delete doc.approval.allowUnsigned;
  fs.writeFileSync(out, yaml.stringify(doc));
' examples/local-plan.yaml "$DEMO/plan.yaml" "$DEMO/keys"
cli plan validate "$DEMO/plan.yaml"
say "the platform policy (the platform team's part: its approvers' keys, the least canary; the worker only reads it)"
bash scripts/stack/local-policy.sh "$DEMO/keys"

pidfile="$STACK/pids/demo-worker.pid"
if [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  say "worker already running (pid $(cat "$pidfile"))"
else
  say "starting a worker (log: $STACK/logs/demo-worker.log)"
  KUBECONFIG="$DEMO/worker.kubeconfig" HWAYO_EVIDENCE_ROOT="$ROOT/test/fixtures/evidence" \
    HWAYO_POLICY=configmap:hwayo-release/hwayo-release-policy \
    HWAYO_WORKER_HTTP_HOST=127.0.0.1 HWAYO_WORKER_HTTP_PORT="${HWAYO_DEMO_WORKER_PORT:-18091}" \
    setsid node dist/src/worker.js >>"$STACK/logs/demo-worker.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  for _ in $(seq 1 120); do
    curl -fsS "http://127.0.0.1:${HWAYO_DEMO_WORKER_PORT:-18091}/readyz" >/dev/null 2>&1 && break
    kill -0 "$(cat "$pidfile")" 2>/dev/null ||
      { tail -n 30 "$STACK/logs/demo-worker.log"; echo "worker exited" >&2; exit 1; }
    sleep 0.5
  done
fi

# Releases of earlier demos still in their retention window would delete blue when it ends (that is
# how a release retires the old version); the local stack has one fixed blue, so end them and re-seed.
"$TEMPORAL_CLI" workflow terminate --address "$TEMPORAL_ADDRESS" --namespace "${TEMPORAL_NAMESPACE:-default}" \
  --query 'ExecutionStatus="Running" AND HwayoApp="hwayo"' --reason "a new demo starts" --yes >/dev/null 2>&1 || true
bash scripts/stack/kube-fixtures.sh

# A completed release is never started again under its id: every demo run is a new version.
VERSION="2.4.0-demo.$(date +%Y%m%d%H%M%S)"
# CI's clean scan reports (test/fixtures/evidence, the worker's HWAYO_EVIDENCE_ROOT) name the images
# of tag 412-3f9c2ab and its commit, and of the last known good 1.0.0: the gate refuses any other build.
say "starting release $VERSION"
ID=$(cli start "$DEMO/plan.yaml" --version "$VERSION" --image-tag 412-3f9c2ab --last-known-good 1.0.0 \
  --requested-by demo \
  --evidence-trivy trivy-clean.json --evidence-gitleaks gitleaks-clean.json \
  --evidence-npm-audit npm-audit-clean.json --evidence-sonarqube sonarqube-hotspots-clean.json)
echo "release id: $ID"
echo "Temporal UI: $TEMPORAL_UI_URL/namespaces/default/workflows/$ID"

for _ in $(seq 1 120); do
  stage=$(cli status "$ID" --json | node -e '
    let s = "";
    process.stdin.on("data", (d) => (s += d)).on("end", () => {
      const j = JSON.parse(s);
      console.log(j.status ? j.status.stage : "finished:" + j.outcome);
    });')
  [ "$stage" = awaiting-approval ] && break
  case "$stage" in
    finished:*)
      echo "release ended before approval: $stage"
      cli report "$ID" | sed -n '/## Preflight/,/## Traffic/p'
      exit 5;;
  esac
  sleep 1
done
# Users through the gateway while the release runs (bounded; stopped when watch ends). Their answers
# land in $DEMO/users.jsonl (time, status, which side answered).
node "$STACK/fixtures/dataplane/loadgen.js" --url "$TRAEFIK_URL" --rps 50 --count 60000 --max-seconds 1200 \
  --canary-share 0.05 >"$DEMO/users.jsonl" 2>>"$STACK/logs/demo-users.log" &
users=$!
trap 'kill "$users" 2>/dev/null || true' EXIT
say "approving (signed) as alice (tech-lead), bob (product-manager), carol (qa-lead)"
for id in alice bob carol; do cli approve "$ID" --as "$id" --key "$DEMO/keys/$id.key" --comment "demo approval"; done

say "following the release (Ctrl-C stops watching, not the release)"
set +e
cli watch "$ID"
code=$?
set -e
kill "$users" 2>/dev/null || true
wait "$users" 2>/dev/null || true
# A healthy release (watch exited 0) fails no user's request, header users' included: the summary says
# so and the demo exits 6 otherwise.
users_ok=0
node -e '
  const s = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").filter(Boolean).map(JSON.parse);
  const by = {};
  for (const x of s) by[x.namespace || "the gateway"] = (by[x.namespace || "the gateway"] || 0) + 1;
  const failed = s.filter((x) => x.status !== 200);
  const answered = JSON.stringify(by);
  console.log(`users: ${s.length} requests through the gateway, ${failed.length} failed; answered by ${answered}`);
  if (process.argv[2] === "0" && failed.length) {
    const header = failed.filter((x) => x.canary).length;
    console.log(`a healthy release failed ${failed.length} user requests (${header} with the canary header)`);
    process.exit(1);
  }
' "$DEMO/users.jsonl" "$code" || users_ok=$?
cat <<MSG

Release $ID: watch exited $code (0 succeeded, 3 rolled back; see hwayo-release --help).
  Temporal UI:   $TEMPORAL_UI_URL/namespaces/default/workflows/$ID
  Report:        node bin/hwayo-release report $ID
  Roll back:     node bin/hwayo-release rollback $ID --reason other:demo --by alice --key $DEMO/keys/alice.key
                 (while blue is kept, 15 min; the demo plan requires signatures, so the rollback is signed)
  Users' answers: $DEMO/users.jsonl
  Stop everything: npm run demo:stop
MSG
[ "$users_ok" = 0 ] || exit 6
