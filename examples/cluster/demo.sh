#!/usr/bin/env bash
# The replicated exchange in one command (docs/cluster.md): three nodes on 127.0.0.1 (order entry on 9100, 9200,
# 9300), a deposit sent to each node's port (followers send the client to the leader), the leader killed with
# kill -9, a new leader elected, the same deposits continuing on it, the dead node restarted and catching up.
# Logs and data in ./cluster-demo. Ctrl-C (or the end) stops the nodes.
set -euo pipefail
cd "$(dirname "$0")/../.."
dotnet build src/Gateway -c Release -nologo -v quiet >/dev/null
EXCHANGE=(dotnet src/Gateway/bin/Release/net10.0/exchange.dll)
exchange() { "${EXCHANGE[@]}" "$@"; }
rm -rf cluster-demo && mkdir -p cluster-demo
declare -A pids
start() {
  # Not through the function: $! must be the node's own process, the one kill -9 is meant for.
  "${EXCHANGE[@]}" serve --cluster examples/cluster/cluster.json --node "$1" >>"cluster-demo/node-$1.log" 2>&1 &
  pids[$1]=$!
}
trap 'kill "${pids[@]}" 2>/dev/null || true' EXIT
for n in 1 2 3; do start "$n"; done

# Which node leads: `client login` says where the login was finally accepted (port 9N00 is node N).
leader() { exchange client --port "${1:-9100}" --user admin --password admin-pw login | sed -n 's/.*at 127.0.0.1:9\([0-9]\)00.*/\1/p'; }
until L=$(leader 2>/dev/null) && [ -n "$L" ]; do sleep 0.5; done
echo "== node $L leads"
for port in 9100 9200 9300; do
  exchange client --port "$port" --user admin --password admin-pw deposit 1 1000
done
exchange client --port 9100 --user alice --password alice-pw query

echo "== kill -9 node $L (the leader)"
kill -9 "${pids[$L]}"
wait "${pids[$L]}" 2>/dev/null || true
OTHER=$(( L % 3 + 1 ))
until N=$(leader "9${OTHER}00" 2>/dev/null) && [ -n "$N" ]; do sleep 0.2; done
echo "== node $N leads now"
for port in 9100 9200 9300; do
  [ "$port" = "9${L}00" ] && continue
  exchange client --port "$port" --user admin --password admin-pw deposit 1 1000
done
exchange client --port "9${OTHER}00" --user alice --password alice-pw query   # 5000: nothing acknowledged was lost

echo "== node $L restarts and catches up from the others"
start "$L"
sleep 3
exchange client --port "9${L}00" --user alice --password alice-pw query
echo "== done; logs in cluster-demo/node-*.log"
