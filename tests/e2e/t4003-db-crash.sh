#!/usr/bin/env bash
# Crash safety: SIGKILL the loader at many points of a load. After each kill
# every stored row is complete and equal to the row of an uninterrupted run,
# only whole batches are there, and a re-run reaches exactly the state of an
# uninterrupted run.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/load-lib.sh"
need_pg
ref=$(new_schema)
s=${ref}_k
trap 'kill $(jobs -p) 2>/dev/null || true; drop_schema "$ref"; drop_schema "$s"; rm -rf "$T"' EXIT

rows=50
gen_articles 3000 >"$T/in.ndjson"
load() { feedpipe-load -q --pg "" --schema "$1" --batch-rows $rows "${@:2}" <"$T/in.ndjson"; }

# The uninterrupted run.
load "$ref"
want=$(checksum "$ref")
total=$(q -c "SELECT batches FROM \"$ref\".load_runs")
cols="to_jsonb(x) - 'first_loaded_at' - 'updated_at' - 'first_seen_at' - 'load_run'"

# The killed loaders read from a feeder that writes a batch at a time and
# then holds the pipe open: a loader faster than the kills must still be
# running when its kill comes (it would wait at the end for more input),
# not finished. Input batches never cut the loader's batches: it has no
# timed flush, it commits every $rows rows.
split -l $rows "$T/in.ndjson" "$T/chunk."
mkfifo "$T/fifo"
feed() { for c in "$T"/chunk.*; do cat "$c"; sleep 0.005; done; exec sleep 600; }

trials=24 killed=0
for k in $(seq 1 $trials); do
  drop_schema "$s"
  feed >"$T/fifo" & fpid=$!
  # Not through the function: $! must be the loader itself.
  feedpipe-load -q --pg "" --schema "$s" --batch-rows $rows <"$T/fifo" & pid=$!
  # Spread the kills over the whole run (startup and migrations, then after
  # batch B for B across the load), at a random moment within the next
  # batch: COPY, upsert or COMMIT.
  target=$(( (k - 1) * total / trials ))
  if [ "$target" -gt 0 ]; then
    for _ in $(seq 500); do
      [ "$(q -c "SELECT coalesce(max(batches), 0) >= $target FROM \"$s\".load_runs" 2>/dev/null)" = t ] && break
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.01
    done
  fi
  sleep "0.0$(( RANDOM % 30 ))"
  if kill -9 "$pid" 2>/dev/null; then killed=$((killed + 1)); fi
  wait "$pid" 2>/dev/null || true
  kill "$fpid" 2>/dev/null || true
  wait "$fpid" 2>/dev/null || true

  if [ "$(q -c "SELECT count(*) FROM pg_namespace WHERE nspname = '$s'")" = 1 ] &&
     [ "$(q -c "SELECT to_regclass('\"$s\".load_runs') IS NOT NULL")" = t ]; then
    # Every row there is complete: equal to the uninterrupted run's row.
    bad=$(q -c "SELECT count(*) FROM \"$s\".articles x LEFT JOIN \"$ref\".articles r USING (id)
                WHERE r.id IS NULL OR ($cols) <> (SELECT to_jsonb(x) - 'first_loaded_at' - 'updated_at' - 'first_seen_at' - 'load_run'
                                                  FROM \"$ref\".articles x WHERE x.id = r.id)")
    [ "$bad" = 0 ] || fail "trial $k: $bad incomplete or wrong rows"
    bad=$(q -c "SELECT count(*) FROM (SELECT article_id, count(*) FROM \"$s\".article_images GROUP BY 1) c
                JOIN (SELECT article_id, count(*) FROM \"$ref\".article_images GROUP BY 1) r USING (article_id)
                WHERE c.count <> r.count")
    [ "$bad" = 0 ] || fail "trial $k: articles with some of their images"
    # Whole batches only: the rows are those of the first B batches.
    b=$(q -c "SELECT coalesce(sum(batches), 0) FROM \"$s\".load_runs")
    n=$(q -c "SELECT count(*) FROM \"$s\".articles")
    expect=$(head -n $((b * rows)) "$T/in.ndjson" | grep -vc '"reject"' || true)
    [ "$n" = "$expect" ] || fail "trial $k: $n rows after $b batches, expected $expect"
    echo "trial $k: killed with $b whole batches, $n rows"
  else
    echo "trial $k: killed before the schema was made"
  fi
  load "$s" || fail "trial $k: re-run failed"
  [ "$(checksum "$s")" = "$want" ] || fail "trial $k: re-run did not reach the state of an uninterrupted run"
done
[ $killed = $trials ] || fail "only $killed of $trials kills hit a running loader"
echo "ok: $killed kills during a load"
