#!/usr/bin/env bash
# The local demo: installs what is missing, builds, and runs the mesh on
# loopback (Galley reading samples/, Pilot, Citadel, Mixer), two versions of
# an xDS-enabled echo gRPC server registered in samples/echo-workloads.yaml,
# and a proxyless gRPC client (xds:///echo...) that prints the live traffic
# split. Every workload gets its certificate from Citadel through its own
# keel-agent, and the echo traffic is mutual TLS (samples/echo-mtls.yaml); so
# is the control plane's own (Galley, Pilot, Mixer and the apps' Mixer calls).
# Each call is checked by Mixer and reported to it (samples/mixer/): a call
# with x-user: mallory is refused, and Istio's standard metrics
# (istio_requests_total, ...) appear on Mixer's /metrics.
# Edit the weights in samples/echo.yaml and watch the split move. Ctrl-C
# stops every component cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $(id -u) -eq 0 ]]; then
  bash scripts/install-deps.sh
else
  sudo bash scripts/install-deps.sh
fi
bazel build //services/... //integration/apps:all

bazel_bin=$(bazel info bazel-bin 2>/dev/null)
bin=$bazel_bin/services
logs=$(mktemp -d /tmp/keel-demo.XXXXXX)

# component  gRPC port  monitoring port  extra flags. Citadel first: the
# control plane's own certificates come from it (through keel-agents), and
# Galley, Pilot and Mixer talk mutual TLS, as the Helm chart has them.
citadel_spec="citadel 8060  15016 --ca_dir=$logs/ca --serving_dir=$logs/citadel-serving"
certs=$logs/control-plane
components=(
  "galley  9901  15014 --config_dir=$PWD/samples --tls_cert_dir=$certs/keel-galley"
  # 15011 is Pilot's xDS over mTLS; proxyless gRPC apps (gRPC 1.51 cannot
  # reach an xDS server over TLS) use the plaintext 15010, on loopback here.
  "pilot   15011 15015 --galley_address=127.0.0.1:9901 --citadel_debug_address=127.0.0.1:15016 --tls_cert_dir=$certs/keel-pilot --insecure_xds_address=127.0.0.1:15010"
  "mixer   9091  15017 --galley_address=127.0.0.1:9901 --tls_cert_dir=$certs/keel-mixer"
)

declare -A pids
wait_http_ready() {  # port: until its /readyz answers 200 (10 s at most)
  for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$1/readyz" >/dev/null 2>&1; then return; fi
    sleep 0.1
  done
}
stop_all() {
  trap - INT TERM
  echo
  echo "stopping the mesh..."
  local failed=0
  for name in "${!pids[@]}"; do kill -TERM "${pids[$name]}" 2>/dev/null || true; done
  for name in "${!pids[@]}"; do
    if wait "${pids[$name]}"; then
      echo "  $name exited 0"
    else
      echo "  $name exited $?"
      failed=1
    fi
  done
  echo "logs are in $logs"
  exit $failed
}
trap stop_all INT TERM

start_component() {  # "name grpc monitoring extra..."
  local name grpc monitoring extra
  read -r name grpc monitoring extra <<<"$1"
  # shellcheck disable=SC2086
  # Own session: a terminal Ctrl-C reaches only this script, which then
  # stops each component once with SIGTERM.
  setsid "$bin/$name/$name" --grpc_address="127.0.0.1:$grpc" \
    --monitoring_address="127.0.0.1:$monitoring" $extra >"$logs/$name.log" 2>&1 &
  pids[$name]=$!
}
wait_ready() {  # "name grpc monitoring ..."
  local name grpc monitoring extra
  read -r name grpc monitoring extra <<<"$1"
  for _ in $(seq 1 150); do
    if curl -fsS "http://127.0.0.1:$monitoring/readyz" >/dev/null 2>&1; then break; fi
    if ! kill -0 "${pids[$name]}" 2>/dev/null; then
      echo "$name failed to start:"; cat "$logs/$name.log"; stop_all
    fi
    sleep 0.1
  done
  printf '  %-8s gRPC 127.0.0.1:%-5s  http://127.0.0.1:%s/{healthz,readyz,metrics,debug}  %s\n' \
    "$name" "$grpc" "$monitoring" "$(curl -fsS "http://127.0.0.1:$monitoring/healthz" || echo DOWN)"
}

echo "waiting for the mesh to be ready..."
start_component "$citadel_spec"
wait_ready "$citadel_spec"
# Each workload's keel-agent: a bootstrap token from Citadel, then the
# workload's certificate and its xDS bootstrap (naming those files).
start_agent() {  # name service-account node-id status-port
  local name=$1 sa=$2 node=$3 status=$4
  mkdir -p "$logs/$name"
  "$bin/citadel/citadel" --ca_dir="$logs/ca" issue-token default "$sa" >"$logs/$name/token"
  setsid "$bin/agent/keel-agent" --citadel_address=localhost:8060 \
    --citadel_root_file="$logs/citadel-serving/root-cert.pem" --token_file="$logs/$name/token" \
    --cert_dir="$logs/$name/certs" --bootstrap_file="$logs/$name/bootstrap.json" \
    --node_id="$node" --pilot_address=127.0.0.1:15010 \
    --monitoring_address="127.0.0.1:$status" >"$logs/agent-$name.log" 2>&1 &
  pids[agent-$name]=$!
  wait_http_ready "$status"
  printf '  %-8s %s, certificate in %s\n' "agent" "$name" "$logs/$name/certs"
}
# The control plane's own identities (namespace keel-system, as the chart's).
control_plane_agent() {  # service-account status-port
  local sa=$1 status=$2
  mkdir -p "$certs/$sa"
  "$bin/citadel/citadel" --ca_dir="$logs/ca" issue-token keel-system "$sa" >"$certs/$sa.token"
  setsid "$bin/agent/keel-agent" --citadel_address=localhost:8060 \
    --citadel_root_file="$logs/citadel-serving/root-cert.pem" --token_file="$certs/$sa.token" \
    --cert_dir="$certs/$sa" --monitoring_address="127.0.0.1:$status" >"$logs/agent-$sa.log" 2>&1 &
  pids[agent-$sa]=$!
  wait_http_ready "$status"
  printf '  %-8s %s, certificate in %s\n' "agent" "$sa" "$certs/$sa"
}
control_plane_agent keel-galley 15023
control_plane_agent keel-pilot 15024
control_plane_agent keel-mixer 15025
for spec in "${components[@]}"; do start_component "$spec"; done
for spec in "${components[@]}"; do wait_ready "$spec"; done
start_agent echo-v1 echo echo-server~127.0.0.1~echo-v1.default 15020
start_agent echo-v2 echo echo-server~127.0.0.1~echo-v2.default 15021
start_agent client client demo-client~127.0.0.1~client.default 15022
# The workloads samples/echo-workloads.yaml registers: xDS-enabled servers
# that take their listener (mTLS required) from Pilot.
for version in v1 v2; do
  port=$([[ $version == v1 ]] && echo 17071 || echo 17072)
  GRPC_XDS_BOOTSTRAP="$logs/echo-$version/bootstrap.json" setsid \
    "$bazel_bin/integration/apps/echo_server" --xds --address="127.0.0.1:$port" \
    --app_version=$version --mixer_address=127.0.0.1:9091 --workload_name=echo-$version \
    --mixer_tls_cert_dir="$logs/echo-$version/certs" \
    --workload_labels=app=echo,version=$version --service_host=echo.default.svc.cluster.local \
    >"$logs/echo-$version.log" 2>&1 &
  pids[echo-$version]=$!
done
echo "the mesh is up; logs in $logs. Press Ctrl-C to stop."
client_mixer=(--mixer_address=127.0.0.1:9091 --mixer_tls_cert_dir="$logs/client/certs" --workload_name=demo-client
  --service_host=echo.default.svc.cluster.local)
echo "Mixer policy (samples/mixer/deny-mallory.yaml): three calls as x-user: mallory ->"
GRPC_XDS_BOOTSTRAP="$logs/client/bootstrap.json" "$bazel_bin/integration/apps/echo_client" \
  --target=xds:///echo.default.svc.cluster.local:7070 --count=3 --metadata=x-user=mallory \
  "${client_mixer[@]}" 2>>"$logs/client.log" | sed 's/^/  /'
echo "Mixer telemetry: Istio's standard metrics at http://127.0.0.1:15017/metrics, e.g.:"
denied='^istio_requests_total.*reporter="destination".*response_code="403"'
for _ in $(seq 1 50); do  # the servers report once a second
  if curl -fsS http://127.0.0.1:15017/metrics | grep -q "$denied"; then break; fi
  sleep 0.1
done
curl -fsS http://127.0.0.1:15017/metrics | grep "$denied" | head -1 | sed 's/^/  /'
echo "live mTLS traffic to xds:///echo.default.svc.cluster.local:7070 (edit samples/echo.yaml to move it):"
GRPC_XDS_BOOTSTRAP="$logs/client/bootstrap.json" setsid "$bazel_bin/integration/apps/echo_client" \
  --target=xds:///echo.default.svc.cluster.local:7070 --duration=87600h --report_every=1s \
  "${client_mixer[@]}" 2>>"$logs/client.log" &
pids[client]=$!
wait
