#!/usr/bin/env bash
# Runs the budgeted BenchmarkDotNet benchmarks and fails if any benchmark's Allocated figure (bytes per operation,
# all threads) exceeds its budget in perf/Exchange.Benchmarks/allocation-budget.json. Slow (minutes: it builds and
# runs every budgeted benchmark, MarkPriceBenchmarks up to 1M accounts), so not part of CI; see docs/benchmarks.md.
#
# usage: perf/check-allocations.sh [--job short|dry|medium] [extra BenchmarkDotNet arguments, e.g. --filter '*Book*']
#   --job short (default): 3 warm-up + 3 measured iterations, so a one-off JIT allocation is not charged.
#   --job dry: one cold invocation each; fastest, but a benchmark's first call may show one-off allocations.
set -euo pipefail
cd "$(dirname "$0")/.."

job=short
if [ "${1:-}" = "--job" ]; then job=$2; shift 2; fi
budget=perf/Exchange.Benchmarks/allocation-budget.json
command -v python3 >/dev/null || { echo "check-allocations: python3 is needed to read the reports" >&2; exit 2; }

# The budgeted classes, unless the caller filters.
filter=()
if ! printf '%s\n' "$@" | grep -q -- '--filter'; then
  mapfile -t classes < <(python3 -c 'import json,sys; print("\n".join(sorted({b["benchmark"].split(".")[0] for b in json.load(open(sys.argv[1]))["budgets"]})))' "$budget")
  filter=(--filter)
  for c in "${classes[@]}"; do filter+=("*.${c}.*"); done
fi

artifacts=$(mktemp -d)
trap 'rm -rf "$artifacts"' EXIT
dotnet run -c Release --project perf/Exchange.Benchmarks -- "${filter[@]}" "$@" --job "$job" \
  --exporters json --artifacts "$artifacts"

# The full JSON report names each benchmark by type and method (the CSV and markdown carry display titles instead).
python3 - "$budget" "$artifacts"/results/*-report-full-compressed.json <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
budgets = {b["benchmark"]: b["bytesPerOp"] for b in spec["budgets"]}
exempt = {b["benchmark"] for b in spec.get("exempt", [])}
failures, checked = [], 0
for report in sys.argv[2:]:
    for b in json.load(open(report))["Benchmarks"]:
        name = f'{b["Type"]}.{b["Method"]}'
        label = name + (f'({b["Parameters"]})' if b.get("Parameters") else "")
        allocated = (b.get("Memory") or {}).get("BytesAllocatedPerOperation")
        if name in exempt:
            print(f"  exempt   {label}: {allocated} B/op")
            continue
        if name not in budgets:
            failures.append(f"{label}: not in {sys.argv[1]} (add a budget or an exemption)")
            continue
        if allocated is None:
            failures.append(f"{label}: no Allocated figure (did it run? is [MemoryDiagnoser] on?)")
            continue
        checked += 1
        ok = allocated <= budgets[name]
        print(f"  {'ok  ' if ok else 'OVER'}     {label}: {allocated} B/op (budget {budgets[name]})")
        if not ok:
            failures.append(f"{label}: {allocated} B/op > budget {budgets[name]}")
if checked == 0 and not failures:
    failures.append("no budgeted benchmark ran")
for f in failures:
    print("FAIL " + f)
print(f"check-allocations: {checked} benchmark(s) checked, {len(failures)} failure(s)")
sys.exit(1 if failures else 0)
PY
