#!/usr/bin/env bash
# The local demo: installs what is missing, builds, and runs the mesh on
# loopback (Galley reading samples/, Pilot, Citadel, Mixer), two versions of
# an xDS-enabled echo gRPC server registered in samples/echo-workloads.yaml,
# and a proxyless gRPC client (xds:///echo...) that prints the live traffic
# split. Every workload gets its certificate from Citadel through its own
# keel-agent, and the echo traffic is mutual TLS (samples/echo-mtls.yaml).
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

# component  gRPC port  monitoring port  extra flags
components=(
  "galley  9901  15014 --config_dir=$PWD/samples"
  "pilot   15010 15015 --galley_address=127.0.0.1:9901 --citadel_debug_address=127.0.0.1:15016"
  "citadel 8060  15016 --ca_dir=$logs/ca --serving_dir=$logs/citadel-serving"
  "mixer   9091  15017 --galley_address=127.0.0.1:9901"
)

declare -A pids
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

for spec in "${components[@]}"; do
  read -r name grpc monitoring extra <<<"$spec"
  # shellcheck disable=SC2086
  # Own session: a terminal Ctrl-C reaches only this script, which then
  # stops each component once with SIGTERM.
  setsid "$bin/$name/$name" --grpc_address="127.0.0.1:$grpc" \
    --monitoring_address="127.0.0.1:$monitoring" $extra >"$logs/$name.log" 2>&1 &
  pids[$name]=$!
done

echo "waiting for the mesh to be ready..."
for spec in "${components[@]}"; do
  read -r name grpc monitoring extra <<<"$spec"
  for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$monitoring/readyz" >/dev/null 2>&1; then break; fi
    if ! kill -0 "${pids[$name]}" 2>/dev/null; then
      echo "$name failed to start:"; cat "$logs/$name.log"; stop_all
    fi
    sleep 0.1
  done
  printf '  %-8s gRPC 127.0.0.1:%-5s  http://127.0.0.1:%s/{healthz,readyz,metrics,debug}  %s\n' \
    "$name" "$grpc" "$monitoring" "$(curl -fsS "http://127.0.0.1:$monitoring/healthz" || echo DOWN)"
done
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
  for _ in $(seq 1 100); do
    if curl -fsS "http://127.0.0.1:$status/readyz" >/dev/null 2>&1; then break; fi
    sleep 0.1
  done
  printf '  %-8s %s, certificate in %s\n' "agent" "$name" "$logs/$name/certs"
}
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
    --workload_labels=app=echo,version=$version --service_host=echo.default.svc.cluster.local \
    >"$logs/echo-$version.log" 2>&1 &
  pids[echo-$version]=$!
done
echo "the mesh is up; logs in $logs. Press Ctrl-C to stop."
client_mixer=(--mixer_address=127.0.0.1:9091 --workload_name=demo-client
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
