# capsule-sim: bad input, outputs, the no-scheduler anchor, every scheduler
# under --check, failures, constraints, reproducibility, and the 1,024-host
# DVMS run CI can afford, the ablation switches and bench/sim-ablation.sh.

SIM=$BIN/capsule-sim

need_sim() {
  [ -x "$SIM" ] || skip "capsule-sim not built (libsimgrid-dev missing?)"
}

tmpdir() {
  local d
  d=$(mktemp -d /tmp/capsule-sim-test.XXXXXX)
  defer rm -rf "$d"
  echo "$d"
}

json() { # file jq-filter
  jq -r "$2" "$1"
}

assert_one_line_error() { # what
  [ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 ] || fail "$1: expected one line on stderr: $ERR"
  assert_contains "$ERR" "capsule-sim: " "$1"
}

test_unknown_scheduler() {
  need_sim
  local d
  d=$(tmpdir)
  assert_usage_error "unknown scheduler" --scheduler foo --hosts 4 --out "$d/out"
  assert_contains "$ERR" "unknown scheduler 'foo'"
  [ ! -e "$d/out" ] || fail "a failed run left $d/out behind"
}

test_zero_hosts() {
  need_sim
  assert_fails "$SIM" --hosts 0
  assert_one_line_error "zero hosts"
  assert_contains "$ERR" "--hosts: need at least one host"
}

test_impossible_platform() {
  need_sim
  # 100 VMs of 1 GB on 2 hosts of 32 GB
  assert_fails "$SIM" --hosts 2 --vms 100 --scheduler dvms
  assert_one_line_error "impossible platform"
  assert_contains "$ERR" "impossible platform"
}

test_malformed_constraints() {
  need_sim
  local d
  d=$(tmpdir)
  echo '[{"id": "ban", "vms": [1, 2], "nodes": ' >"$d/bad.json"
  assert_fails "$SIM" --hosts 4 --scheduler dvms --constraints "$d/bad.json"
  assert_one_line_error "malformed constraints"
  assert_contains "$ERR" "--constraints"
  echo '[{"id": "ban", "vms": [1], "nodes": [99]}]' >"$d/range.json"
  assert_fails "$SIM" --hosts 4 --scheduler dvms --constraints "$d/range.json"
  assert_one_line_error "constraint out of range"
  assert_contains "$ERR" "99"
  assert_fails "$SIM" --hosts 4 --constraints "$d/missing.json"
  assert_one_line_error "missing constraints file"
}

# Every usage error: one line on stderr and exit status 2 (documented in
# --help), whether the parser or the range checks catch it.
assert_usage_error() { # what args...
  local what=$1
  shift
  assert_fails "$SIM" "$@"
  assert_one_line_error "$what"
  assert_eq "$RC" 2 "$what: exit status"
}

test_bad_flags() {
  need_sim
  assert_usage_error "bad number" --duration soon
  assert_contains "$ERR" "--duration: expected a number, got 'soon'"
  assert_usage_error "bad fraction" --threshold 1.5
  assert_usage_error "missing value" --hosts
  assert_usage_error "unknown option" --frobnicate
  assert_usage_error "bad failure" --hosts 4 --fail 9@10
  assert_usage_error "failure before the start" --hosts 4 --fail 1@-5
  assert_usage_error "load mean above 100" --load-mean 200
  assert_contains "$ERR" "--load-mean: expected a percentage of one vCPU in 0..100, got 200"
  assert_usage_error "negative load mean" --load-mean -1
  assert_usage_error "load std above 100" --load-std 101
  assert_usage_error "load out of reach" --hosts 10 --vms 10 --load 100
  assert_usage_error "negative charge" --charge-alpha -1
  assert_usage_error "negative backbone" --backbone -5
  assert_usage_error "unknown scheduler" --scheduler nope
  assert_usage_error "zero hosts" --hosts 0
  assert_usage_error "impossible platform" --hosts 2 --vms 100
}

test_help() {
  need_sim
  local help
  help=$("$SIM" --help)
  assert_contains "$help" "--load-mean M      mean of a VM's demand, % of one vCPU, 0..100"
  assert_contains "$help" "2 bad usage"
  [[ "$help" != *%%* ]] || fail "--help prints a literal %%"
}

# series.csv is flushed at every row: a run killed in the middle keeps the
# rows up to its last checkpoint, each one whole. Rows every 300 s of a
# long 1,024-host DVMS run come far apart, so without the flush nothing
# would reach the file before the end.
test_series_survives_kill() {
  need_sim
  local d pid rows i
  d=$(tmpdir)
  "$SIM" --hosts 1024 --scheduler dvms --duration 36000 --sample 300 --out "$d" >/dev/null 2>&1 &
  pid=$!
  rows=0
  for i in $(seq 200); do
    rows=$(grep -c '' "$d/series.csv" 2>/dev/null || true)
    [ "${rows:-0}" -ge 4 ] && break
    sleep 0.1
  done
  kill -9 "$pid"
  wait "$pid" 2>/dev/null || true
  [ "${rows:-0}" -ge 4 ] || fail "series.csv had ${rows:-0} lines after 20 s"
  [ ! -e "$d/summary.json" ] || fail "the run finished before it was killed"
  # every line is whole (9 fields, newline-terminated), times consecutive
  [ "$(tail -c 1 "$d/series.csv" | od -An -c | tr -d ' ')" = '\n' ] || fail "a torn last row"
  awk -F, 'NR > 1 && (NF != 9 || $1 != (NR - 2) * 300) { bad = 1 } END { exit bad }' \
    "$d/series.csv" || fail "rows not whole: $(cat "$d/series.csv")"
}

test_outputs() {
  need_sim
  local d
  d=$(tmpdir)
  "$SIM" --hosts 16 --duration 600 --sample 10 --scheduler dvms --out "$d" >"$d/stdout"
  for f in summary.json series.csv nodes.csv platform.xml; do
    [ -s "$d/$f" ] || fail "$f missing"
  done
  assert_eq "$(wc -l <"$d/series.csv")" 62 "series rows (header + 0..600 every 10 s)"
  assert_eq "$(wc -l <"$d/nodes.csv")" 17 "nodes rows"
  assert_eq "$(json "$d/summary.json" .hosts)" 16
  assert_eq "$(json "$d/summary.json" .vms)" 160
  assert_eq "$(json "$d/summary.json" .scheduler)" dvms
  # the per-node violations add up to the total
  local sum total
  sum=$(awk -F, 'NR > 1 { s += $2 } END { printf "%.0f", s }' "$d/nodes.csv")
  total=$(json "$d/summary.json" '.violation.total_s | round')
  [ "$((sum - total))" -le 1 ] && [ "$((total - sum))" -le 1 ] ||
    fail "nodes.csv sums to $sum, summary says $total"
  assert_contains "$(cat "$d/stdout")" "dvms: 16 hosts, 160 VMs"
}

# The no-scheduler run reproduces the anchor measured in the research notes:
# 3.1-3.3 % of host-time in violation, median episode ~45 s (1,024 hosts).
test_no_scheduler_anchor() {
  need_sim
  local d pct med
  d=$(tmpdir)
  "$SIM" --hosts 1024 --seed 1 --out "$d" >/dev/null
  pct=$(json "$d/summary.json" .violation.host_time_pct)
  med=$(json "$d/summary.json" .violation.episode_median_s)
  awk -v p="$pct" 'BEGIN { exit !(p > 2.8 && p < 3.6) }' || fail "violation $pct % of host-time"
  awk -v m="$med" 'BEGIN { exit !(m > 38 && m < 55) }' || fail "median episode $med s"
}

# Every scheduler on a small cluster: every plan passes the independent
# checker and no node is ever in two partitions (--check fails the run).
test_every_scheduler_checked() {
  need_sim
  local d s
  d=$(tmpdir)
  for s in none dvms dvms-vmplaces entropy snooze; do
    "$SIM" --hosts 64 --duration 1800 --seed 3 --scheduler "$s" --check --out "$d/$s" >/dev/null ||
      fail "$s failed its checks"
    assert_eq "$(json "$d/$s/summary.json" '.scheduler_stats.check_failures // 0')" 0 "$s bad plans"
  done
  for s in dvms dvms-vmplaces entropy snooze; do
    [ "$(json "$d/$s/summary.json" .scheduler_stats.checks)" -gt 0 ] || fail "$s checked no plan"
    [ "$(json "$d/$s/summary.json" .migrations.done)" -gt 0 ] || fail "$s migrated nothing"
  done
  for s in dvms dvms-vmplaces entropy snooze; do
    [ "$(json "$d/$s/summary.json" .audit.steps)" -gt 0 ] || fail "$s: no step checked on the cluster"
    assert_eq "$(json "$d/$s/summary.json" .audit.refused_invalid)" 0 "$s: wrong steps"
  done
  [ "$(json "$d/dvms/summary.json" .scheduler_stats.exclusivity_checks)" -gt 0 ] ||
    fail "dvms checked no partition"
  assert_eq "$(json "$d/dvms/summary.json" .scheduler_stats.exclusivity_violations)" 0
  # every ISP that started ended (the last ones may still run at the end)
  local started ended
  started=$(json "$d/dvms/summary.json" .scheduler_stats.isp_started)
  ended=$(json "$d/dvms/summary.json" .scheduler_stats.isp_ended)
  [ $((started - ended)) -le 8 ] || fail "ISPs started $started, ended $ended"
}

# The seed's own load (mu70/sigma30) on 256 hosts for 15 minutes, every
# scheduler with the checker on: every plan is checked against the
# solver's view when it is made and every step against the simulated
# cluster when it starts; none is wrong, and each scheduler does better
# than none.
test_mu70_checked() {
  need_sim
  local d s none pct
  d=$(tmpdir)
  local load=(--hosts 256 --duration 900 --seed 2 --load-mean 70 --load-std 30 --check)
  "$SIM" "${load[@]}" --out "$d/none" >/dev/null
  none=$(json "$d/none/summary.json" .violation.host_time_pct)
  for s in dvms dvms-vmplaces entropy snooze; do
    "$SIM" "${load[@]}" --scheduler "$s" --out "$d/$s" >/dev/null || fail "$s failed its checks"
    assert_eq "$(json "$d/$s/summary.json" .scheduler_stats.check_failures)" 0 "$s bad plans"
    [ "$(json "$d/$s/summary.json" .audit.steps)" -gt 0 ] || fail "$s: no step checked"
    assert_eq "$(json "$d/$s/summary.json" .audit.refused_invalid)" 0 "$s: wrong steps"
    pct=$(json "$d/$s/summary.json" .violation.host_time_pct)
    awk -v p="$pct" -v n="$none" 'BEGIN { exit !(p < n) }' || fail "$s: $pct % against $none %"
  done
}

# --deterministic charges the calibrated model instead of the measured CPU
# time: the same seed gives the same run, to the last message.
test_reproducible() {
  need_sim
  local d
  d=$(tmpdir)
  local run=(--hosts 64 --duration 1200 --scheduler dvms --deterministic)
  "$SIM" "${run[@]}" --seed 9 --out "$d/a" >/dev/null
  "$SIM" "${run[@]}" --seed 9 --out "$d/b" >/dev/null
  "$SIM" "${run[@]}" --seed 10 --out "$d/c" >/dev/null
  assert_eq "$(json "$d/a/summary.json" .charge)" model
  local f='del(.wall_s, .cpu_s, .peak_rss_kb, .scheduler_stats.solve_wall_s,
               .scheduler_stats.solve_cpu_s)'
  assert_eq "$(jq -S "$f" "$d/a/summary.json")" "$(jq -S "$f" "$d/b/summary.json")" "same seed"
  cmp -s "$d/a/series.csv" "$d/b/series.csv" || fail "same seed, different series"
  assert_ne "$(jq -S "$f" "$d/a/summary.json")" "$(jq -S "$f" "$d/c/summary.json")" "other seed"
}

# By default each solve is charged its measured CPU time (the thread's CPU
# clock around the solver call); --deterministic charges alpha + beta x VEs.
test_solve_charged() {
  need_sim
  local d s
  d=$(tmpdir)
  for s in dvms entropy; do
    "$SIM" --hosts 64 --duration 1200 --seed 3 --scheduler "$s" --out "$d/$s" >/dev/null
    assert_eq "$(json "$d/$s/summary.json" .charge)" cpu
    assert_eq "$(json "$d/$s/summary.json" '.scheduler_stats | .solve_charged_s == .solve_cpu_s')" \
      true "$s: charged what the solves measured"
    [ "$(json "$d/$s/summary.json" '.scheduler_stats.solve_cpu_s.max > 0')" = true ] ||
      fail "$s: no CPU time measured"
  done
  "$SIM" --hosts 64 --duration 1200 --seed 3 --scheduler dvms --deterministic \
    --charge-alpha 0.5 --charge-beta 0 --out "$d/model" >/dev/null
  assert_eq "$(json "$d/model/summary.json" .scheduler_stats.solve_charged_s.median)" 0.5 \
    "the model's charge"
}

test_failed_node() {
  need_sim
  local d
  d=$(tmpdir)
  "$SIM" --hosts 64 --duration 1800 --seed 2 --scheduler dvms --check --fail 5@300 \
    --fail 6@300 --out "$d" >/dev/null
  [ "$(json "$d/summary.json" .scheduler_stats.suspected)" -gt 0 ] || fail "no node suspected"
  [ "$(json "$d/summary.json" .scheduler_stats.plans)" -gt 0 ] || fail "no plan after the crash"
}

test_constraints_honoured() {
  need_sim
  local d
  d=$(tmpdir)
  # VMs 0..63 are banned from the first half of the cluster: plans must
  # never put them there (the checker replays every plan).
  jq -n '[{id: "ban", vms: [range(0; 64)], nodes: [range(0; 32)]},
          {id: "spread", vms: [64, 65, 66, 67]}]' >"$d/c.json"
  "$SIM" --hosts 64 --duration 1800 --seed 4 --scheduler dvms --check \
    --constraints "$d/c.json" --out "$d/out" >/dev/null
  [ "$(json "$d/out/summary.json" .scheduler_stats.checks)" -gt 0 ] || fail "no plan checked"
  assert_eq "$(json "$d/out/summary.json" .scheduler_stats.check_failures)" 0
}

# The run CI can afford: 10,240 VMs on 1,024 hosts for an hour with DVMS's
# full protocol and every check, in under 30 s of CPU, far below the
# no-scheduler violation of the same seed.
test_dvms_1024_hosts() {
  need_sim
  local d pct none cpu
  d=$(tmpdir)
  "$SIM" --hosts 1024 --seed 5 --out "$d/none" >/dev/null
  "$SIM" --hosts 1024 --seed 5 --scheduler dvms --check --out "$d/dvms" >/dev/null
  pct=$(json "$d/dvms/summary.json" .violation.host_time_pct)
  none=$(json "$d/none/summary.json" .violation.host_time_pct)
  cpu=$(json "$d/dvms/summary.json" .cpu_s)
  awk -v c="$cpu" 'BEGIN { exit !(c < 30) }' || fail "took $cpu s of CPU"
  awk -v p="$pct" -v n="$none" 'BEGIN { exit !(p <= 0.4 && p <= 0.15 * n) }' ||
    fail "dvms $pct % against $none % without a scheduler"
}

# The ablation's switches (--ideas): protocol ideas are DVMS's only; each
# scheduler reports the ideas and the policy it ran with; DVMS without
# shortcuts or merges takes neither, and Entropy with prevention acts
# before overloads, which lowers its violation.
test_ablation_ideas() {
  need_sim
  assert_usage_error "protocol idea for entropy" --scheduler entropy --ideas ring
  assert_contains "$ERR" "--ideas: events, ring, shortcuts, merge and bounded are DVMS's"
  assert_usage_error "bounded for snooze" --scheduler snooze --ideas bounded
  assert_usage_error "unknown idea" --scheduler dvms --ideas events,rings
  assert_contains "$ERR" "unknown idea 'rings'"
  local d
  d=$(tmpdir)
  "$SIM" --hosts 64 --duration 900 --seed 2 --load-mean 70 --load-std 30 --scheduler dvms \
    --deterministic --check --out "$d/all" >/dev/null
  "$SIM" --hosts 64 --duration 900 --seed 2 --load-mean 70 --load-std 30 --scheduler dvms \
    --ideas events,ring,prevention --deterministic --check --out "$d/dvms" >/dev/null
  assert_eq "$(json "$d/all/summary.json" .ideas)" \
    "events,ring,shortcuts,merge,prevention,headroom,admission,yield,bounded"
  assert_eq "$(json "$d/all/summary.json" '.policy | "\(.threshold) \(.target) \(.fill)"')" \
    "0.98 0.95 0.87"
  assert_eq "$(json "$d/dvms/summary.json" '.policy | "\(.threshold) \(.target) \(.fill)"')" \
    "0.98 0.98 0.98"
  assert_eq "$(json "$d/dvms/summary.json" .scheduler_stats.shortcuts)" 0 "shortcuts when off"
  assert_eq "$(json "$d/dvms/summary.json" .scheduler_stats.merges)" 0 "merges when off"
  [ "$(json "$d/all/summary.json" .scheduler_stats.shortcuts)" -gt 0 ] || fail "no shortcut when on"
  local s
  for s in entropy snooze; do
    "$SIM" --hosts 128 --duration 1800 --scheduler $s --deterministic --check \
      --out "$d/$s" >/dev/null
    "$SIM" --hosts 128 --duration 1800 --scheduler $s --ideas prevention,headroom \
      --deterministic --check --out "$d/$s-p" >/dev/null
    assert_eq "$(json "$d/$s/summary.json" .policy.threshold)" 1 "$s plain threshold"
    assert_eq "$(json "$d/$s-p/summary.json" .policy.threshold)" 0.98 "$s threshold"
    awk -v a="$(json "$d/$s-p/summary.json" .violation.total_s)" \
      -v b="$(json "$d/$s/summary.json" .violation.total_s)" 'BEGIN { exit !(a < b) }' ||
      fail "$s with prevention and headroom is not better than plain"
  done
}

# Admission control (--ideas admission, any scheduler): the backbone's
# slots are its bandwidth over a NIC's (18 for one 2.25 GB/s backbone);
# with 2 slots Snooze's groups' migrations wait, and with a 5 s deadline
# some of them are refused (they fail, the VE stays, the plan fails), which
# the checker accepts; yield holds prevention back meanwhile.
test_admission() {
  need_sim
  assert_usage_error "zero admission wait" --admission-wait 0
  assert_usage_error "negative admission" --admission -1
  local d load=(--hosts 64 --duration 900 --seed 2 --load-mean 70 --load-std 30 --check)
  d=$(tmpdir)
  "$SIM" "${load[@]}" --scheduler entropy --out "$d/plain" >/dev/null
  assert_eq "$(json "$d/plain/summary.json" .policy.admission)" 0 "no admission by default"
  assert_eq "$(json "$d/plain/summary.json" .admission.after_wait)" 0 "waits without admission"
  "$SIM" "${load[@]}" --scheduler entropy --ideas prevention,admission,yield --out "$d/a" \
    >/dev/null
  assert_eq "$(json "$d/a/summary.json" .policy.admission)" 18 "slots of one backbone"
  "$SIM" "${load[@]}" --scheduler snooze --ideas prevention,admission,yield --admission 2 \
    --admission-wait 5 --out "$d/two" >/dev/null || fail "refused migrations failed the checks"
  [ "$(json "$d/two/summary.json" .admission.after_wait)" -gt 0 ] || fail "no migration waited"
  [ "$(json "$d/two/summary.json" .admission.refused)" -gt 0 ] || fail "none refused at 5 s"
  [ "$(json "$d/two/summary.json" .scheduler_stats.yielded)" -gt 0 ] || fail "no round yielded"
  assert_eq "$(json "$d/two/summary.json" .migrations.failed)" \
    "$(json "$d/two/summary.json" .admission.refused)" "failed migrations are the refused ones"
}

# bench/sim-ablation.sh at a toy size: every line of the table is there.
test_ablation_script() {
  need_sim
  local d table
  d=$(tmpdir)
  table=$(SIM=$SIM "$TOP/bench/sim-ablation.sh" --hosts 16 --duration 300 --seeds 1 \
    --loads 60/20 --lines "dvms entropy" --out "$d" 2>/dev/null)
  assert_contains "$table" "**16 hosts, μ60/σ20**"
  assert_contains "$table" "| dvms | events,ring,shortcuts,merge,prevention |"
  assert_contains "$table" "| entropy | prevention,headroom |"
  assert_eq "$(grep -c '^| dvms |' <<<"$table")" 10 "DVMS lines"
  assert_contains "$table" "| entropy | prevention,headroom,admission,yield |"
  assert_eq "$(wc -l <"$d/runs.tsv")" 16 "runs"
}
