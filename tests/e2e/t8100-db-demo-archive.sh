#!/usr/bin/env bash
# The demo archive as a newcomer meets it: scripts/run, as written, loads
# examples/archive/ into a schema of its own and prints the summary below
# (feeds, languages, dates, warnings, rejects). Every post becomes an article
# or the intended reject; the feeds are the archive's folders; Sina's
# boilerplate, the table, the code, the iframe and the images come out as
# the archive's README (examples/README.md) says; the recovered-YAML post
# and the Invalid Date post carry their warnings; the re-rendered post is one
# id. A second run loads nothing new and prints the same summary.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/load-lib.sh"
need_pg
s=$(new_schema)
trap 'drop_schema "$s"; rm -rf "$T"' EXIT

# What scripts/run needs, copied, so that its out/ is ours. One mtime for
# every post: of the two copies of the re-rendered post the later mtime,
# then the greater path wins, so the winner is fixed.
r=$T/repo
mkdir -p "$r/examples"
cp -r "$FP_SOURCE/scripts" "$r/scripts"
cp -r "$FP_SOURCE/examples/archive" "$r/examples/archive"
find "$r/examples/archive" -type f -exec touch -d '2022-07-10 00:00:00Z' {} +
a=$r/examples/archive
# The DSN only needs to be non-empty: libpq takes the test server from PG*.
run() { FP_BUILD=$FP_BUILD "$r/scripts/run" --pg "application_name=t8100" --schema "$s" "$@"; }

run >"$T/out1" 2>"$T/err1" || { cat "$T/err1" >&2; fail "scripts/run: status $?"; }
sed -n '/^Explore:$/,$p' "$T/out1" >"$T/explore"
sed '/^Explore:$/,$d' "$T/out1" >"$T/summary1"
cat >"$T/summary.expect" <<'X'
run: 40 files: 39 articles (38 new, 0 updated, 0 unchanged, 1 duplicate), 1 reject; out/articles.jsonl.gz
 articles | feeds | languages |   first    |    last    | undated 
----------+-------+-----------+------------+------------+---------
       38 |     8 |         4 | 2021-09-14 | 2022-07-09 |       1

Feeds
 topic  |     site     |       feed       | articles |    languages    |   first    |    last    
--------+--------------+------------------+----------+-----------------+------------+------------
 金融   | 新浪财经     | 新浪财经－国內   |        6 | zh-Hans 6       | 2021-10-21 | 2022-06-09
 二次元 | Eventernote  | 声优活动及演唱会 |        5 | ja 5            | 2022-02-26 | 2022-06-01
 新媒体 | 島嶼數位週報 | Podcast          |        5 | zh-Hant 5       | 2021-12-05 | 2022-01-16
 编程   | Hacker News  | Show HN          |        5 | en 5            | 2021-11-03 | 2022-05-24
 编程   | 掘金         | 后端             |        5 | zh-Hans 5       | 2021-11-13 | 2022-05-11
 阅读   | 博客来       | 新书出版         |        5 | zh-Hant 5       | 2021-09-14 | 2022-04-19
 设计   | Dribbble     | 关键词           |        4 | en 4            | 2021-09-27 | 2022-05-18
 二次元 | Bangumi      | 放送列表         |        3 | ja 2, zh-Hans 1 | 2022-04-17 | 2022-07-09

Languages
  lang   | articles | feeds 
---------+----------+-------
 zh-Hans |       12 |     3
 zh-Hant |       10 |     2
 en      |        9 |     2
 ja      |        7 |     2

Warnings (the article is kept; what was recovered or left null)
   stage   |    warning     | articles |                                          example                                           
-----------+----------------+----------+--------------------------------------------------------------------------------------------
 extract   | yaml-recovered |        1 | 编程/Hacker News/Show HN/Show HN_ Readable – get "just the text" of any page, it's free.md
 normalize | date-invalid   |        1 | 设计/Dribbble/关键词/Isometric bookshop illustration.md

Rejects (not loaded; up to three files per reason)
  stage  |   reason    | rejects |                                file                                 |                          message                           
---------+-------------+---------+---------------------------------------------------------------------+------------------------------------------------------------
 extract | binary-file |       1 | 金融/新浪财经/新浪财经－国內/云港前11月社会消费品零售总额增长61%.md | not a text file (0 NUL bytes, 228 invalid UTF-8 sequences)

X
diff -u "$T/summary.expect" "$T/summary1"
grep -qF "SET search_path = \"$s\"" "$T/explore" || fail "the explore lines do not name the schema: $(cat "$T/explore")"
[ -s "$r/out/articles.jsonl.gz" ] && [ -f "$r/out/articles.rejects.jsonl.gz" ] || fail "no out/articles.jsonl.gz and its rejects file"

# Every file is an article or a reject, once: in the JSON Lines output
# (which keeps both copies of the re-rendered post) ...
find "$a" -type f -name '*.md' -printf '%P\n' | LC_ALL=C sort >"$T/files"
[ "$(wc -l <"$T/files")" -eq 40 ] || fail "the archive holds $(wc -l <"$T/files") posts, not 40"
{ zcat "$r/out/articles.jsonl.gz"; zcat "$r/out/articles.rejects.jsonl.gz"; } | jq -r .source.path |
  LC_ALL=C sort >"$T/seen"
diff -u "$T/files" "$T/seen"
# ... and in the database, where the losing copy of the re-rendered post is
# the one file without a row.
q -c "SELECT source_path FROM \"$s\".articles UNION ALL SELECT source_path FROM \"$s\".rejects" |
  LC_ALL=C sort >"$T/rows"
LC_ALL=C comm -23 "$T/files" "$T/rows" >"$T/missing"
echo '二次元/Bangumi/放送列表/Mr.クロックワーク｜发条先生.md' >"$T/missing.expect"
diff -u "$T/missing.expect" "$T/missing"

# The one reject is the post saved in GBK: not UTF-8, but GBK text.
gbk='金融/新浪财经/新浪财经－国內/云港前11月社会消费品零售总额增长61%.md'
! iconv -f UTF-8 -t UTF-8 "$a/$gbk" >/dev/null 2>&1 || fail "$gbk is valid UTF-8"
iconv -f GBK -t UTF-8 "$a/$gbk" | grep -q '^title: .云港前11月社会消费品零售总额增长6.1%.$' || fail "$gbk is not GBK"
q -c "SELECT stage, reason, source_path, file FROM \"$s\".rejects" >"$T/rejects"
echo "extract|binary-file|$gbk|$gbk" >"$T/rejects.expect"
diff -u "$T/rejects.expect" "$T/rejects"

# The feeds are the archive's folders, and each article's topic, site and
# feed are the folders it lies in.
find "$a" -mindepth 3 -maxdepth 3 -type d -printf '%P\n' | LC_ALL=C sort >"$T/feeds.expect"
q -c "SELECT DISTINCT topic || '/' || site || '/' || feed FROM \"$s\".articles" | LC_ALL=C sort >"$T/feeds"
diff -u "$T/feeds.expect" "$T/feeds"
[ "$(q -c "SELECT count(*) FROM \"$s\".articles
           WHERE topic || '/' || site || '/' || feed IS DISTINCT FROM regexp_replace(source_path, '/[^/]*$', '')")" = 0 ] ||
  fail "articles whose feed is not their folder"

# The recovered-YAML post keeps its whole title, quotes and all; the
# Invalid Date post has no date and says why; nobody else has a warning.
q -c "SELECT title, w->>'stage', w->>'code' FROM \"$s\".articles, jsonb_array_elements(warnings) w
      ORDER BY 1" >"$T/warnings"
cat >"$T/warnings.expect" <<'X'
Isometric bookshop illustration|normalize|date-invalid
Show HN: Readable – get "just the text" of any page, it's free|extract|yaml-recovered
X
diff -u "$T/warnings.expect" "$T/warnings"
[ "$(q -c "SELECT coalesce(published_at::text, 'null') || '|' || published_raw FROM \"$s\".articles
           WHERE title = 'Isometric bookshop illustration'")" = "null|Invalid Date" ] || fail "the Invalid Date post"

# The re-rendered post: two files, two dates, one id; the row is the copy
# that wins (same mtime: the greater path).
zcat "$r/out/articles.jsonl.gz" | jq -r 'select(.title == "Mr.クロックワーク｜发条先生") | "\(.id) \(.published_raw)"' |
  sort >"$T/rerender"
[ "$(wc -l <"$T/rerender")" -eq 2 ] && [ "$(cut -d' ' -f1 "$T/rerender" | sort -u | wc -l)" -eq 1 ] ||
  fail "the re-rendered post is not two records of one id: $(cat "$T/rerender")"
[ "$(cut -d' ' -f2- "$T/rerender" | sort -u | wc -l)" -eq 2 ] || fail "the two renders have one date: $(cat "$T/rerender")"
id=$(head -1 "$T/rerender" | cut -d' ' -f1)
[ "$(q -c "SELECT source_path || '|' || published_raw FROM \"$s\".articles WHERE id = '$id'")" = \
  "二次元/Bangumi/放送列表/Mrクロックワーク｜发条先生.md|Sun, 17 Apr 2022 16:00:00 GMT" ] ||
  fail "the stored row of the re-rendered post"

# Sina's boilerplate: the editor and the original title captured, the QR
# image and the footer lines out of the text.
[ "$(q -c "SELECT count(*), count(editor), count(original_title),
                  count(*) FILTER (WHERE text ~ '新浪财经APP|责任编辑|原标题|appendQr' OR images <> '[]')
             FROM \"$s\".articles WHERE site = '新浪财经'")" = "6|6|4|0" ] || fail "Sina's boilerplate"
[ "$(q -c "SELECT editor FROM \"$s\".articles WHERE title = '华启新能源前三季度净利润同比增长18.6%'")" = 林晓雯 ] ||
  fail "the editor without the work code"

# The table: one line per row, cells separated by tabs.
q -c "SELECT text FROM \"$s\".articles WHERE title = '华启新能源前三季度净利润同比增长18.6%'" >"$T/table"
grep -qxF "$(printf '营业收入（亿元）\t32.07\t31.5%%\t86.40\t27.3%%')" "$T/table" || fail "the table row: $(cat "$T/table")"

# The code: the generator's &#123; braces are braces again, in a <pre>.
[ "$(q -c "SELECT count(*) FROM \"$s\".articles WHERE title = 'Go 里用 context 取消一组 goroutine'
           AND position(E'\nfor _, u := range urls {\n' IN text) > 0
           AND html ~ '<pre><code[^>]*>g, ctx := ' AND html NOT LIKE '%&#123;%'")" = 1 ] || fail "the code block"

# The iframe: out of the html, kept in embeds, one per podcast episode.
[ "$(q -c "SELECT count(*) FROM \"$s\".articles WHERE feed = 'Podcast' AND html NOT LIKE '%<iframe%'
           AND jsonb_array_length(embeds) = 1 AND embeds->0->>'tag' = 'iframe'
           AND embeds->0->>'src' LIKE 'https://w.soundcloud.com/player/%'")" = 5 ] || fail "the podcast iframes"

# The images: every book, shot and show has its picture; Dribbble's like
# counters are gone.
[ "$(q -c "SELECT count(*) FILTER (WHERE jsonb_array_length(images) >= 1 AND images->0->>'src' LIKE 'https://%'),
                  count(*) FROM \"$s\".articles WHERE site IN ('博客来', 'Dribbble', 'Bangumi')")" = "12|12" ] ||
  fail "the images"
[ "$(q -c "SELECT count(*) FROM \"$s\".articles WHERE site = 'Dribbble' AND text ~ 'likes?$'")" = 0 ] ||
  fail "Dribbble's like counters are in the text"

# Again: nothing new, the same summary.
sum=$(checksum "$s")
run >"$T/out2" 2>"$T/err2" || { cat "$T/err2" >&2; fail "scripts/run, second run: status $?"; }
sed '1s/(38 new, 0 updated, 0 unchanged,/(0 new, 0 updated, 38 unchanged,/' "$T/summary1" >"$T/summary2.expect"
sed '/^Explore:$/,$d' "$T/out2" >"$T/summary2"
diff -u "$T/summary2.expect" "$T/summary2"
[ "$(checksum "$s")" = "$sum" ] || fail "a second run changed the tables"
echo "ok: 40 posts, 38 articles over 8 feeds, 1 reject, as intended"
