#!/usr/bin/env bash
# A real Kubernetes control plane on 127.0.0.1: etcd, kube-apiserver (TLS, RBAC), controller-manager,
# scheduler, and kwok simulating the nodes, so Deployments get ReplicaSets and Ready pods.
# All binaries are built from the Go module proxy (versions pinned in scripts/stack/kube-build/*/go.mod)
# and cached under $HWAYO_CACHE keyed by version. Usage: kube.sh install|start|stop
source "$(dirname "$0")/../lib.sh"

KUBE_VERSION=v1.34.4
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.7.0
BUILD_DIR="$REPO_ROOT/scripts/stack/kube-build"
KUBE_BIN="$HWAYO_CACHE/kube/$KUBE_VERSION"
# The stack's pods have loopback IPs (the data plane stays on 127.0.0.0/8), which the stock apiserver
# refuses in Endpoints/EndpointSlices (ValidateEndpointIP). This build lifts that one check, nothing else.
APISERVER="$HWAYO_CACHE/kube/$KUBE_VERSION+loopback-endpoints/kube-apiserver"
ETCD_BIN="$HWAYO_CACHE/etcd/$ETCD_VERSION"
KWOK_BIN="$HWAYO_CACHE/kwok/$KWOK_VERSION"
STATE="$HWAYO_STACK_DIR/kube"
PKI="$STATE/pki"
# Region b (components/region-b.sh) runs a second cluster from these same binaries on its own ports and
# loopback pod network, with its own HWAYO_STACK_DIR; unset, they are region a's.
API_PORT=${HWAYO_KUBE_API_PORT:-16443}
ETCD_PORT=${HWAYO_KUBE_ETCD_PORT:-12379}
ETCD_PEER_PORT=${HWAYO_KUBE_ETCD_PEER_PORT:-12380}
POD_NET=${HWAYO_KUBE_POD_NET:-127.1}
KWOK_CIDR=${HWAYO_KUBE_KWOK_CIDR:-127.244.0.0/16}
KUBECONFIG_FILE="$STATE/admin.kubeconfig"
# Every request to the apiserver (route writes with their bodies): scripts/stack/kube-audit-policy.yaml.
AUDIT_LOG="$HWAYO_STACK_DIR/logs/kube-audit.log"
NODES=(kwok-node-1 kwok-node-2 kwok-node-3)
# Traefik's own CRDs (traefik.io/v1alpha1: IngressRoute, TraefikService, Middleware...), the router
# `traefik` writes TraefikServices: from the Traefik module zip on the Go module proxy, the same version as
# the gateway (components/traefik.sh), pinned by the zip's sha256. Applied here with the other CRDs
# because the route fixtures (kube-fixtures/routes.yaml) hold a TraefikService and an IngressRoute.
TRAEFIK_VERSION=3.6.15
TRAEFIK_ZIP_SHA256=ec77566c28fcb0fb17ebf9846bc0bfdaba84e420cb5adcca931dfb1b9c13e360
TRAEFIK_CRDS="$HWAYO_CACHE/traefik-crds/v$TRAEFIK_VERSION/kubernetes-crd-definition-v1.yml"

# build MODULE_DIR PACKAGE OUTPUT [LDFLAGS]: one binary at a time, niced (2 shared cores), written atomically;
# -mod=readonly: the committed go.sum is the pin, a build never changes it.
build() {
  local dir=$1 pkg=$2 out=$3 ldflags=${4:-"-s -w"}
  [ -x "$out" ] && return 0
  slog "building $(basename "$out") from $pkg (cold builds take minutes)"
  mkdir -p "$(dirname "$out")"
  local t0; t0=$(date +%s)
  (cd "$dir" && GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 nice -n 10 \
    go build -trimpath -ldflags "$ldflags" -o "$out.tmp" "$pkg")
  mv "$out.tmp" "$out"
  slog "built $(basename "$out") in $(( $(date +%s) - t0 )) s"
}

# build_apiserver: kube-apiserver with ValidateEndpointIP accepting 127.0.0.0/8. go build -overlay may not
# touch the module cache, so the build uses a hard-linked copy of the pinned module with that one file
# patched by sed (the build fails if the line is not there exactly once), through a `replace`.
build_apiserver() {
  [ -x "$APISERVER" ] && return 0
  local mod
  mod="$(cd "$BUILD_DIR/kubernetes" && go mod download -json k8s.io/kubernetes |
    sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
  local work; work=$(mktemp -d)
  local file=pkg/apis/core/validation/validation.go
  [ "$(grep -c $'^\tif ip.IsLoopback() {$' "$mod/$file")" = 1 ] ||
    { slog "ValidateEndpointIP changed upstream; update build_apiserver"; exit 1; }
  # Hard links share the cache's read-only files: only directories are made writable, never a file.
  cp -al "$mod" "$work/kubernetes" && chmod u+w "$work/kubernetes/pkg/apis/core/validation"
  rm "$work/kubernetes/$file"
  local patch='s/^\tif ip.IsLoopback() {$/\tif ip.IsLoopback() \&\& !ip.IsLoopback() {'
  patch+=' \/\/ hwayo stack: loopback pod IPs are the data plane/'
  sed "$patch" "$mod/$file" >"$work/kubernetes/$file"
  mkdir "$work/wrapper" && cp "$BUILD_DIR/kubernetes"/{go.mod,go.sum,tools.go} "$work/wrapper/"
  (cd "$work/wrapper" && go mod edit -replace "k8s.io/kubernetes=$work/kubernetes")
  build "$work/wrapper" k8s.io/kubernetes/cmd/kube-apiserver "$APISERVER" "$(kube_ldflags)"
  find "$work" -type d -exec chmod u+w {} +; rm -rf "$work"
}

# The server reports its real version (`kubectl version`, /version) only with these set.
kube_ldflags() {
  local minor; minor=$(echo "$KUBE_VERSION" | cut -d. -f2)
  local flags="-s -w"
  for p in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
    flags="$flags -X $p.gitVersion=$KUBE_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    flags="$flags -X $p.gitTreeState=clean -X $p.buildDate=2026-02-10T12:53:36Z"
  done
  echo "$flags"
}

# Downloads (outside the stack's network namespace: install runs there only with a warm cache).
install_traefik_crds() {
  [ -f "$TRAEFIK_CRDS" ] && return 0
  local dir; dir=$(dirname "$TRAEFIK_CRDS"); mkdir -p "$dir"
  local zip="$dir/traefik-v$TRAEFIK_VERSION.zip"
  slog "downloading the Traefik v$TRAEFIK_VERSION module zip for its CRDs"
  curl -fsSL -o "$zip.tmp" "https://proxy.golang.org/github.com/traefik/traefik/v3/@v/v$TRAEFIK_VERSION.zip"
  echo "$TRAEFIK_ZIP_SHA256  $zip.tmp" | sha256sum -c --quiet - ||
    { rm -f "$zip.tmp"; slog "Traefik zip sha256 mismatch"; exit 1; }
  # python3's zipfile, not unzip: python3 is already needed (the stack's venv), unzip may be missing.
  local member="github.com/traefik/traefik/v3@v$TRAEFIK_VERSION"
  member+="/docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml"
  python3 -c 'import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' "$zip.tmp" \
    "$member" >"$TRAEFIK_CRDS.tmp"
  grep -q '^  name: traefikservices.traefik.io$' "$TRAEFIK_CRDS.tmp" ||
    { slog "no TraefikService CRD in the Traefik zip"; exit 1; }
  mv "$TRAEFIK_CRDS.tmp" "$TRAEFIK_CRDS"; rm -f "$zip.tmp"
}

install() {
  install_traefik_crds
  command -v go >/dev/null || { slog "go is required to build the kube component"; exit 1; }
  command -v openssl >/dev/null || { slog "openssl is required"; exit 1; }
  local ld; ld=$(kube_ldflags)
  for cmd in kube-controller-manager kube-scheduler kubectl; do
    build "$BUILD_DIR/kubernetes" "k8s.io/kubernetes/cmd/$cmd" "$KUBE_BIN/$cmd" "$ld"
  done
  build_apiserver
  build "$BUILD_DIR/etcd" go.etcd.io/etcd/server/v3 "$ETCD_BIN/etcd"
  build "$BUILD_DIR/kwok" sigs.k8s.io/kwok/cmd/kwok "$KWOK_BIN/kwok"
}

# cert NAME SUBJECT [SAN]: a key and a certificate signed by the stack's CA.
cert() {
  local name=$1 subj=$2 san=${3:-}
  [ -f "$PKI/$name.crt" ] && return 0
  openssl genrsa -out "$PKI/$name.key" 2048 2>/dev/null
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  local ext="$PKI/$name.ext"
  if [ -n "$san" ]; then
    printf 'subjectAltName=%s\n' "$san" >"$ext"
    printf 'extendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n' >>"$ext"
  else
    printf 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature,keyEncipherment\n' >"$ext"
  fi
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 365 -sha256 -extfile "$ext" -out "$PKI/$name.crt" 2>/dev/null
}

pki() {
  mkdir -p "$PKI"
  if [ ! -f "$PKI/ca.crt" ]; then
    openssl genrsa -out "$PKI/ca.key" 2048 2>/dev/null
    openssl req -x509 -new -key "$PKI/ca.key" -subj "/CN=hwayo-stack-kube-ca" -days 3650 -sha256 -out "$PKI/ca.crt"
  fi
  local sans="DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
  sans+=",DNS:kubernetes.default.svc.cluster.local,IP:127.0.0.1,IP:10.96.0.1"
  cert apiserver "/CN=kube-apiserver" "$sans"
  cert admin "/O=system:masters/CN=hwayo-stack-admin"
  cert controller-manager "/CN=system:kube-controller-manager"
  cert scheduler "/CN=system:kube-scheduler"
  # The data plane's own identities (RBAC in kube-fixtures/dataplane-rbac.yaml): least privilege each.
  cert traefik "/CN=hwayo-stack-traefik"
  cert prometheus "/CN=hwayo-stack-prometheus"
  cert dataplane "/CN=hwayo-stack-dataplane"
  if [ ! -f "$PKI/sa.key" ]; then
    openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
    openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  fi
}

# kubeconfig USER FILE: certificates embedded, so any client (including @kubernetes/client-node) reads it alone.
kubeconfig() {
  local user=$1 file=$2
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: hwayo-stack
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(base64 -w0 "$PKI/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 "$PKI/$user.crt")
    client-key-data: $(base64 -w0 "$PKI/$user.key")
contexts:
- name: hwayo-stack
  context: { cluster: hwayo-stack, user: $user }
current-context: hwayo-stack
EOF
}

kubectl_() { "$KUBE_BIN/kubectl" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

api_ready() {
  curl -sf --cacert "$PKI/ca.crt" --cert "$PKI/admin.crt" --key "$PKI/admin.key" "https://127.0.0.1:$API_PORT/readyz"
}

nodes_ready() {
  local n
  n=$(kubectl_ get nodes -l type=kwok \
    -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' |
    grep -c '^True$' || true)
  [ "$n" -ge "${#NODES[@]}" ]
}

# `kubectl wait` fails outright on a CRD whose status has no conditions yet, so poll instead.
crds_established() {
  local crd
  for crd in virtualservices.networking.istio.io peerauthentications.security.istio.io \
    {gatewayclasses,gateways,httproutes,referencegrants,grpcroutes,backendtlspolicies}.gateway.networking.k8s.io \
    {ingressroutes,traefikservices,middlewares}.traefik.io; do
    [ "$(kubectl_ get crd "$crd" -o jsonpath='{.status.conditions[?(@.type=="Established")].status}')" = True ] ||
      return 1
  done
}

# Fake nodes that kwok manages (selected by its annotation); no taint, so ordinary pods schedule onto them.
# Each has a pod CIDR inside 127.0.0.0/8 (kwok hands out pod IPs from the node's spec.podCIDR), so every
# pod's IP is a loopback address the data plane can listen on: $POD_NET.<n>.0/24 on kwok-node-<n>.
create_nodes() {
  local i=0
  for node in "${NODES[@]}"; do
    i=$((i + 1))
    kubectl_ apply --server-side --field-manager=hwayo-stack -f - >/dev/null <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $node
  annotations: { node.alpha.kubernetes.io/ttl: "0", kwok.x-k8s.io/node: fake }
  labels:
    type: kwok
    kubernetes.io/hostname: $node
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    kubernetes.io/role: agent
    node-role.kubernetes.io/agent: ""
spec: { podCIDR: $POD_NET.$i.0/24, podCIDRs: [$POD_NET.$i.0/24] }
status:
  allocatable: { cpu: "32", memory: 256Gi, pods: "110" }
  capacity: { cpu: "32", memory: 256Gi, pods: "110" }
EOF
  done
}

# The two processes a fault test stops and starts again alone (`kube.sh start-process NAME`): the rest
# of `start` (nodes, CRDs, the blue fixture) would reset a cluster a release is working on.
start_etcd() {
  # No fsync: a throw-away test cluster on a shared disk; durability is not the point here.
  start_bg kube-etcd "$ETCD_BIN/etcd" --name hwayo-stack --data-dir "$STATE/etcd" \
    --listen-client-urls "http://127.0.0.1:$ETCD_PORT" --advertise-client-urls "http://127.0.0.1:$ETCD_PORT" \
    --listen-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-advertise-peer-urls "http://127.0.0.1:$ETCD_PEER_PORT" \
    --initial-cluster "hwayo-stack=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync --quota-backend-bytes 2147483648
  wait_for kube-etcd 60 curl -sf "http://127.0.0.1:$ETCD_PORT/health"
}

start_apiserver() {
  # The endpoint reconciler is off: Endpoints may not hold a loopback address.
  start_bg kube-apiserver "$APISERVER" \
    --etcd-servers "http://127.0.0.1:$ETCD_PORT" \
    --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$API_PORT" --endpoint-reconciler-type none \
    --tls-cert-file "$PKI/apiserver.crt" --tls-private-key-file "$PKI/apiserver.key" --client-ca-file "$PKI/ca.crt" \
    --service-account-key-file "$PKI/sa.pub" --service-account-signing-key-file "$PKI/sa.key" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range 10.96.0.0/16 --authorization-mode Node,RBAC --allow-privileged=true \
    --audit-policy-file "$REPO_ROOT/scripts/stack/kube-audit-policy.yaml" --audit-log-path "$AUDIT_LOG" \
    --audit-log-format json --audit-log-mode blocking --audit-log-maxsize 200 --audit-log-maxbackup 2
  wait_for kube-apiserver 120 api_ready
}

start() {
  for b in "$APISERVER" "$KUBE_BIN"/{kube-controller-manager,kube-scheduler,kubectl} "$ETCD_BIN/etcd" \
    "$KWOK_BIN/kwok"; do
    [ -x "$b" ] || { slog "$b missing: run kube.sh install"; exit 1; }
  done
  [ -f "$TRAEFIK_CRDS" ] ||
    { slog "$TRAEFIK_CRDS missing: run kube.sh install (outside the network namespace)"; exit 1; }
  mkdir -p "$STATE"
  pki
  kubeconfig admin "$KUBECONFIG_FILE"
  kubeconfig controller-manager "$STATE/controller-manager.kubeconfig"
  kubeconfig scheduler "$STATE/scheduler.kubeconfig"
  for user in traefik prometheus dataplane; do kubeconfig "$user" "$STATE/$user.kubeconfig"; done

  local kept=0
  [ -d "$STATE/etcd/member" ] && kept=1
  start_etcd
  start_apiserver
  # A kept cluster's pods hold IPs an earlier kwok handed out. kwok v0.7.0 marks an IP used only when it plays
  # a stage for its pod, and a Running pod matches none, so it would hand those IPs out again: a new green pod
  # on a live blue pod's IP cannot listen, and blue answers for it. Before kwok starts, the pods go; their
  # controllers make new ones, and this kwok gives every pod its IP.
  if [ "$kept" = 1 ]; then
    kubectl_ delete pods --all --all-namespaces --grace-period=0 --force --wait=false >/dev/null 2>&1 || true
  fi

  # Simulated nodes: on a busy 2-core machine kwok's heartbeats can lag past the default 50 s
  # grace, and the node controller would then mark every pod NotReady for good. kwok v0.7.0 renews no
  # node lease here and posts node status about every 10 minutes, so a 10 m grace still took every
  # pod (and so every endpoint of the data plane) away after 10 minutes: nothing here can fail a node.
  start_bg kube-controller-manager "$KUBE_BIN/kube-controller-manager" \
    --kubeconfig "$STATE/controller-manager.kubeconfig" --leader-elect=false --secure-port 0 \
    --node-monitor-grace-period=24h \
    --use-service-account-credentials=true --service-account-private-key-file "$PKI/sa.key" \
    --root-ca-file "$PKI/ca.crt" \
    --cluster-signing-cert-file "$PKI/ca.crt" --cluster-signing-key-file "$PKI/ca.key"
  start_bg kube-scheduler "$KUBE_BIN/kube-scheduler" \
    --kubeconfig "$STATE/scheduler.kubeconfig" --leader-elect=false --secure-port 0
  start_bg kube-kwok "$KWOK_BIN/kwok" --kubeconfig "$KUBECONFIG_FILE" \
    --manage-all-nodes=false --manage-nodes-with-annotation-selector kwok.x-k8s.io/node=fake \
    --cidr "$KWOK_CIDR" --node-ip 127.0.0.1

  create_nodes
  wait_for kube-kwok 60 nodes_ready
  # The default ServiceAccount appearing proves the controller-manager is working.
  wait_for kube-controller-manager 60 kubectl_ -n default get serviceaccount default

  kubectl_ apply --server-side --field-manager=hwayo-stack -f "$REPO_ROOT/deploy/crds/" -f "$TRAEFIK_CRDS" >/dev/null
  wait_for kube-apiserver 60 crds_established
  kubectl_ apply --server-side --force-conflicts --field-manager=hwayo-stack \
    -f "$REPO_ROOT/scripts/stack/kube-fixtures/dataplane-rbac.yaml" \
    -f "$REPO_ROOT/scripts/stack/kube-fixtures/mesh.yaml" >/dev/null
  HWAYO_KUBECTL="$KUBE_BIN/kubectl" bash "$REPO_ROOT/scripts/stack/kube-fixtures.sh"
  # The worker's identity and namespace admission policy from the start, as a platform keeps them (what
  # worker-kubeconfig.sh applies again). The apiserver stops its informer for a policy's ConfigMap params for
  # good once no binding names ConfigMap params, and then judges by a frozen registry (kubernetes#130887):
  # the rbac test's own binding coming and going must never leave none.
  kubectl_ apply --server-side --field-manager hwayo-release-setup \
    -f "$REPO_ROOT/deploy/kubernetes/serviceaccount.yaml" -f "$REPO_ROOT/deploy/kubernetes/rbac.yaml" >/dev/null

  # HWAYO_POLICY=none: the stack's tests run plans of every shape on their own authority; the demo and the end-to-end
  # test apply the stack's platform policy (scripts/stack/local-policy.sh) and run their workers under it.
  write_env kube "KUBECONFIG=$KUBECONFIG_FILE" "HWAYO_KUBECTL=$KUBE_BIN/kubectl" "HWAYO_KUBE_AUDIT_LOG=$AUDIT_LOG" \
    HWAYO_POLICY=none
  slog "kube up: https://127.0.0.1:$API_PORT ($KUBE_VERSION), KUBECONFIG=$KUBECONFIG_FILE"
}

stop() {
  for c in kube-kwok kube-scheduler kube-controller-manager kube-apiserver kube-etcd; do stop_bg "$c"; done
  rm -f "$HWAYO_STACK_DIR/env.d/kube.env"
}

case "${1:-}" in
  install) install ;;
  start) start ;;
  start-process)
    case "${2:-}" in
      kube-etcd) start_etcd ;;
      kube-apiserver) start_apiserver ;;
      *) echo "usage: $0 start-process kube-etcd|kube-apiserver" >&2; exit 2 ;;
    esac ;;
  stop) stop ;;
  *) echo "usage: $0 install|start|start-process NAME|stop" >&2; exit 2 ;;
esac
