#!/usr/bin/env bash
# qres encrypt/decrypt of a 1 GiB file against rage, in the same run, alternating, same file, same disk,
# output of encrypt to a file and of decrypt to /dev/null. Reports wall time and peak RSS (GNU time), on
# stderr. qres writes -o files through a temporary file that it fsyncs before renaming; rage does not fsync.
#   tools/bench/cli_1gib.sh QRES_BIN RAGE_BIN_DIR [ROUNDS]
# rage: `cargo install --root DIR rage --locked` (0.12.1); it has no mlkem768x25519 recipient, so the hybrid
# rows are qres alone.
set -euo pipefail
qres=$1; rage=$2/rage; keygen=$2/rage-keygen; rounds=${3:-3}
work=$(mktemp -d "${TMPDIR:-/var/tmp}/qres-bench.XXXXXX"); trap 'rm -rf "$work"' EXIT
head -c $((1 << 30)) /dev/urandom > "$work/plain"
"$keygen" -o "$work/x.key" 2>/dev/null
x=$(grep -o 'age1[0-9a-z]*' "$work/x.key")
"$qres" keygen -t age-pq -o "$work/pq.key" 2>/dev/null
pq=$(sed -n 's/^# public key: //p' "$work/pq.key")
"$qres" keygen -t x-wing -o "$work/xw.key" 2>/dev/null
xw=$(sed -n 's/^# public key: //p' "$work/xw.key")
run() { # label command...
  /usr/bin/time -f "%e %M" -o "$work/t" "${@:2}"
  read -r secs kib < "$work/t"
  printf '%-34s %6.2f s  %7.1f MiB/s  peak RSS %5.1f MiB\n' "$1" "$secs" "$(echo "1024 / $secs" | bc -l)" "$(echo "$kib / 1024" | bc -l)" >&2
}
# Both tools write to standard output (redirected), so neither pays for fsync; one more row shows qres with
# -o (a temporary file, fsynced, then renamed).
for r in $(seq 1 "$rounds"); do
  echo "round $r" >&2
  run "rage encrypt X25519" "$rage" -e -r "$x" "$work/plain" > "$work/rage.age"
  run "qres encrypt X25519 (age)" "$qres" encrypt -r "$x" "$work/plain" > "$work/qres.age"
  run "rage decrypt X25519 (qres's file)" "$rage" -d -i "$work/x.key" "$work/qres.age" > /dev/null
  run "qres decrypt X25519 (rage's file)" "$qres" decrypt -i "$work/x.key" "$work/rage.age" > /dev/null
  run "qres encrypt age1pq (hybrid)" "$qres" encrypt -r "$pq" "$work/plain" > "$work/pq.age"
  run "qres decrypt age1pq (hybrid)" "$qres" decrypt -i "$work/pq.key" "$work/pq.age" > /dev/null
  run "qres encrypt X-Wing (qres envelope)" "$qres" encrypt -r "$xw" "$work/plain" > "$work/xw.qres"
  run "qres decrypt X-Wing (qres envelope)" "$qres" decrypt -i "$work/xw.key" "$work/xw.qres" > /dev/null
  run "qres encrypt X25519 -o (fsync)" "$qres" encrypt -r "$x" -o "$work/o.age" "$work/plain"
  rm -f "$work"/*.age "$work"/*.qres
done
