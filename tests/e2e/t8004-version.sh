# --version on every executable: feedpipe's version, then the runtime version
# of each library it wraps, for bug reports.
. "$(dirname "$0")/lib.sh"

version=$(sed -n 's/^project(feedpipe VERSION \([0-9.]*\).*/\1/p' "$FP_SOURCE/CMakeLists.txt")
[ -n "$version" ] || fail "no project version in CMakeLists.txt"
checked=0
for exe in feedpipe feedpipe-extract feedpipe-clean feedpipe-normalize feedpipe-load; do
  [ -x "$FP_BUILD/$exe" ] || continue
  "$FP_BUILD/$exe" --version > "$T/out" 2> "$T/err" || fail "$exe --version: status $?"
  [ ! -s "$T/err" ] || fail "$exe --version wrote to stderr: $(cat "$T/err")"
  [ "$(head -n1 "$T/out")" = "$exe (feedpipe) $version" ] || fail "$exe --version: $(head -n1 "$T/out")"
  libs=$(sed -n 's/^libraries: //p' "$T/out")
  for lib in jansson libyaml libxml2 utf8proc libpq zlib libgit2; do
    echo "$libs" | grep -qE "(^|, )$lib [0-9][0-9a-z.]*(,|$)" || fail "$exe --version: no $lib version in '$libs'"
  done
  checked=$((checked + 1))
done
[ "$checked" -gt 0 ] || skip "no executable built in $FP_BUILD"
echo "ok: $checked executables; $libs"
