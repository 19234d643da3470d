#!/usr/bin/env bash
# feedpipe-load takes every value as given or refuses it (exit 2, a message
# naming the option), before it reads or writes anything: no schema name
# that PostgreSQL would cut or replace, no run id that is a path, no empty
# path, no sink named twice, no option that no sink of the command line uses.
. "$(dirname "$0")/lib.sh"
cd "$T"
long=$(printf 'a%.0s' $(seq 64))
in=$FP_SOURCE/fixtures/load/articles.ndjson

# usage WANT-IN-MESSAGE ARG...: exit 2, the message, nothing written.
usage() {
  local want=$1 rc=0; shift
  feedpipe-load "$@" <"$in" >out 2>err || rc=$?
  [ $rc = 2 ] || fail "feedpipe-load $*: exit $rc, expected 2: $(cat err)"
  grep -qF -- "$want" err || fail "feedpipe-load $*: message $(cat err), expected '$want'"
  [ ! -s out ] && [ -z "$(ls -A tree 2>/dev/null)" ] && [ ! -e a.jsonl.gz ] ||
    fail "feedpipe-load $*: wrote something"
}

# Values PostgreSQL would change: the 64-byte name cut to 63, '' made public.
# --pg '' would connect: a usage error must come first (no server here).
usage "invalid --schema '': a schema name cannot be empty" --pg 'host=/nonexistent' --schema ''
usage "invalid --schema '$long': a schema name is at most 63 bytes" --pg 'host=/nonexistent' --schema "$long"
usage "invalid --schema" --pg 'host=/nonexistent' --schema "$(printf 'a\377b')"
# A run id becomes part of file names.
for id in ../x x/y . '' "$(printf 'r%.0s' $(seq 65))" 'a b' 'é'; do
  usage "invalid --run-id '$id': a run id is 1 to 64 of" --out-dir tree --run-id "$id"
done
# Empty paths.
usage "invalid --out '': expected a path" --out ''
usage "invalid --out-dir '': expected a path" --out-dir ''
usage "invalid --stats '': expected a file name" --out a.jsonl.gz --stats ''
# A sink named twice would drop one of them.
usage "--out given twice" --out a.jsonl.gz --out b.jsonl.gz
usage "--out-dir given twice" --out-dir tree --out-dir tree2
usage "give --pg or --pg-fd once" --pg 'host=/nonexistent' --pg 'host=/nowhere'
# Options for a sink that is not there would be ignored.
for o in "--schema s" "--batch-rows 5" "--batch-bytes 1M" "--retries 2" "--migrate"; do
  usage "${o%% *} needs --pg" --out-dir tree $o
done
for o in "--run-id r1" "--partition month" "--part-size 1M"; do
  usage "${o%% *} needs --out-dir" --out a.jsonl.gz $o
done
usage "--compress-level needs --out or --out-dir" --pg 'host=/nonexistent' --compress-level 6
# Bad numbers and units, as before.
usage "invalid --batch-rows '0'" --pg 'host=/nonexistent' --batch-rows 0
usage "invalid --compress-level '10'" --out a.jsonl.gz --compress-level 10
usage "invalid --partition 'week'" --out-dir tree --partition week

# The same values, valid, are taken as given.
feedpipe-load -q --out-dir tree --run-id "$(printf 'r%.0s' $(seq 64))" --partition month \
  --part-size 1M --compress-level 6 <"$in" || fail "valid --out-dir options refused"
ls tree/rejects-rrrr*.jsonl.gz >/dev/null || fail "no rejects file named by the run id"

# The driver refuses the same schema names itself (it keeps its state there)
# and a shard that extract would refuse.
rc=0; feedpipe run "$T" --pg 'host=/nonexistent' --schema "$long" 2>err || rc=$?
[ $rc = 2 ] && grep -q 'invalid --schema' err || fail "driver --schema: exit $rc: $(cat err)"
rc=0; feedpipe run --shard 1/2x "$T" --out a.jsonl.gz 2>err || rc=$?
[ $rc = 2 ] && grep -q "invalid --shard '1/2x'" err || fail "driver --shard 1/2x: exit $rc: $(cat err)"
echo ok
