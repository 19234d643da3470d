# A real reader: DuckDB (npm @duckdb/node-api) reads the dt= partitioned
# tree that feedpipe-load --out-dir writes, with read_json_auto and Hive
# partitioning: the row count, a date partition, the seed article's fields,
# and examples/duckdb.sql run as written. The npm package is installed once
# into build/node-duckdb (FP_NODE_CACHE) and reused; skipped with a message
# without node/npm or when the registry cannot be reached.
. "$(dirname "$0")/lib.sh"
need_corpus
command -v node > /dev/null && command -v npm > /dev/null || skip "node or npm missing (Debian packages nodejs, npm)"
command -v jq > /dev/null || skip "jq missing"

pkg=@duckdb/node-api@1.5.6-r.1
cache=${FP_NODE_CACHE:-$FP_SOURCE/build/node-duckdb}/${pkg//[@\/]/_}
if [ ! -f "$cache/node_modules/@duckdb/node-api/package.json" ]; then
  mkdir -p "$(dirname "$cache")"
  exec 9> "$cache.lock"
  flock -w 600 9 || fail "another run holds $cache.lock"
  if [ ! -f "$cache/node_modules/@duckdb/node-api/package.json" ]; then
    export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false
    timeout 60 npm ping --fetch-retries=1 --fetch-timeout=20000 > "$T/npm.log" 2>&1 ||
      skip "npm registry $(npm config get registry) unreachable: $(grep -m1 -iE 'err|fail' "$T/npm.log" || echo 'npm ping timed out')"
    rm -rf "$cache.tmp"
    mkdir -p "$cache.tmp"
    (cd "$cache.tmp" && echo '{"private": true}' > package.json &&
      timeout 600 npm install --no-save --loglevel=error "$pkg") > "$T/npm.log" 2>&1 ||
      { cat "$T/npm.log" >&2; rm -rf "$cache.tmp"; fail "npm install $pkg"; }
    mv -T "$cache.tmp" "$cache"
  fi
  exec 9>&-
fi

# The tree, written by the stages themselves; the articles kept for the checks.
inputs=("$FP_SOURCE/fixtures" "$FP_CORPUS/rsshub" "$FP_CORPUS/seed/000_0cca1a8520dcaf12.txt")
feedpipe-extract -q "${inputs[@]}" | feedpipe-clean -q | feedpipe-normalize -q |
  tee "$T/stream.jsonl" | feedpipe-load -q --out-dir "$T/articles" || fail "pipeline: status $?"
jq -c 'select(.reject | not)' "$T/stream.jsonl" > "$T/articles.jsonl"
rows=$(wc -l < "$T/articles.jsonl")
day=2021-12-20
on_day=$(jq -c --arg d "$day" 'select(.published_at != null and (.published_at | startswith($d)))' \
  "$T/articles.jsonl" | wc -l)
undated=$(jq -r 'select(.published_at == null) | .id' "$T/articles.jsonl" | wc -l)
[ -d "$T/articles/dt=$day" ] || fail "no partition dt=$day in $(ls "$T/articles")"

cat > "$T/read.js" <<'EOF'
const { DuckDBInstance } = require(require.resolve('@duckdb/node-api', { paths: [process.argv[2]] }));
const fs = require('node:fs');

async function main() {
  const [, , , dir, day, exampleFile] = process.argv;
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const all = async (sql) => (await c.runAndReadAll(sql)).getRowObjectsJson();
  const src = `read_json_auto('${dir}/*/*.jsonl.gz', hive_partitioning = true, union_by_name = true)`;
  const out = {};
  out.rows = Number((await all(`SELECT count(*) AS n FROM ${src}`))[0].n);
  out.dt_type = (await all(`SELECT DISTINCT typeof(dt) AS t FROM ${src}`)).map((r) => r.t);
  out.on_day = Number((await all(`SELECT count(*) AS n FROM ${src} WHERE dt = DATE '${day}'`))[0].n);
  out.undated = Number((await all(`SELECT count(*) AS n FROM ${src} WHERE dt IS NULL`))[0].n);
  out.seed = await all(`SELECT strftime(published_at, '%Y-%m-%dT%H:%M:%SZ') AS published_at, site, editor,
      title, dt::VARCHAR AS dt FROM ${src} WHERE source.path = '000_0cca1a8520dcaf12.txt'`);
  // examples/duckdb.sql as written, from the directory that holds articles/.
  process.chdir(require('node:path').dirname(dir));
  const ex = await c.extractStatements(fs.readFileSync(exampleFile, 'utf8'));
  out.example = [];
  for (let i = 0; i < ex.count; i++)
    out.example.push((await (await ex.prepare(i)).runAndReadAll()).getRowObjectsJson().length);
  console.log(JSON.stringify(out));
}
main().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
EOF
node "$T/read.js" "$cache" "$T/articles" "$day" "$FP_SOURCE/examples/duckdb.sql" > "$T/result.json" 2> "$T/node.err" ||
  { cat "$T/node.err" >&2; fail "DuckDB read: status $?"; }
r() { jq -c "$1" "$T/result.json"; }
[ "$(r .rows)" -eq "$rows" ] || fail "DuckDB reads $(r .rows) rows, the loader was given $rows articles"
[ "$(r .dt_type)" = '["DATE"]' ] || fail "dt is $(r .dt_type), not a DATE"
[ "$(r .on_day)" -eq "$on_day" ] || fail "partition dt=$day: $(r .on_day) rows, expected $on_day"
[ "$(r .undated)" -eq "$undated" ] || fail "dt IS NULL: $(r .undated) rows, expected $undated undated articles"
r '.seed' > "$T/seed"
echo '[{"published_at":"2021-12-20T05:08:08Z","site":"新浪财经","editor":"蒋晓桐","title":"王毅谈2022年中国外交六大任务：营造更稳定有利的外部环境","dt":"2021-12-20"}]' > "$T/expect"
diff -u "$T/expect" "$T/seed" || fail "the seed article as DuckDB reads it"
r '.example | length == 6 and .[1] > 0 and .[2] >= 2 and .[5] == 1' | grep -qx true || fail "examples/duckdb.sql: $(r .example)"
echo "ok: DuckDB read $rows rows, dt=$day holds $on_day, $undated undated, seed article exact"
