# The Debian package: cpack -G DEB from a Release build of this tree, then
# dpkg -i, the installed `feedpipe run` over fixtures/ into JSON Lines (it must
# write what the build under test writes), and dpkg -r again, on failure too.
# Depends must name the package of every library the executables link.
# Needs root and dpkg; skipped for sanitizer builds (a .deb of one is useless).
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "not root: dpkg -i needs root"
command -v dpkg > /dev/null && command -v dpkg-shlibdeps > /dev/null || skip "dpkg or dpkg-dev missing"
command -v cpack > /dev/null || skip "cpack missing"
if [ -n "${FP_SANITIZE:-}${ASAN_OPTIONS:-}" ] || grep -qs '^FP_SANITIZE:BOOL=ON' "$FP_BUILD/CMakeCache.txt"; then
  skip "sanitizer build: the .deb is tested by the plain suite"
fi
command -v jq > /dev/null || skip "jq missing"

# One package test at a time on this machine (dpkg state is global); a
# feedpipe package installed by someone else is left alone.
exec 9> /tmp/feedpipe-t8000.lock
flock -w 600 9 || fail "another package test holds /tmp/feedpipe-t8000.lock"
if dpkg-query -W -f='${Status}' feedpipe 2> /dev/null | grep -q 'install ok installed'; then
  skip "a feedpipe package is installed already (dpkg -r feedpipe to run this test)"
fi

# The Release build is kept under the build directory: later runs are incremental.
deb_build=$FP_BUILD/deb-build
cmake -S "$FP_SOURCE" -B "$deb_build" -DCMAKE_BUILD_TYPE=Release -DFP_TESTS=OFF -DFP_SANITIZE=OFF \
  -DFP_FUZZ=OFF > "$T/configure.log" 2>&1 || { cat "$T/configure.log"; fail "configure"; }
cmake --build "$deb_build" -j2 > "$T/build.log" 2>&1 || { cat "$T/build.log"; fail "build"; }
rm -f "$deb_build"/feedpipe_*.deb
(cd "$deb_build" && cpack -G DEB) > "$T/cpack.log" 2>&1 || { cat "$T/cpack.log"; fail "cpack"; }
deb=$(ls "$deb_build"/feedpipe_*.deb)

installed=0
cleanup() {
  [ "$installed" -eq 0 ] || dpkg -r feedpipe > /dev/null 2>&1 || echo "t8000: dpkg -r feedpipe failed" >&2
  rm -rf "$T"
}
trap cleanup EXIT
installed=1
dpkg -i "$deb" > "$T/dpkg.log" 2>&1 || { cat "$T/dpkg.log"; fail "dpkg -i $deb"; }

# What the package holds.
dpkg -L feedpipe > "$T/files"
for f in /usr/bin/feedpipe /usr/bin/feedpipe-extract /usr/bin/feedpipe-clean /usr/bin/feedpipe-normalize \
  /usr/bin/feedpipe-load /usr/share/feedpipe/clean-rules.yaml /usr/share/feedpipe/sql/0001-init.sql \
  /usr/share/bash-completion/completions/feedpipe /usr/share/doc/feedpipe/examples/crontab; do
  grep -qx "$f" "$T/files" || fail "package lacks $f"
done
if ls "$FP_SOURCE"/man/*.scd > /dev/null 2>&1 && command -v scdoc > /dev/null; then
  for page in feedpipe feedpipe-extract feedpipe-clean feedpipe-normalize feedpipe-load; do
    grep -qx "/usr/share/man/man1/$page.1" "$T/files" || fail "package lacks the man page $page(1)"
  done
  if command -v man > /dev/null; then
    [ "$(env -u MANPATH man -w feedpipe)" = /usr/share/man/man1/feedpipe.1 ] || fail "man -w feedpipe: $(man -w feedpipe 2>&1)"
  fi
fi

# Depends names the package of every shared library the executables link
# directly (DT_NEEDED; ldd resolves them and finds none missing).
command -v readelf > /dev/null || fail "readelf missing (binutils)"
dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/^ *//; s/ .*//' | sort -u > "$T/depends"
for exe in /usr/bin/feedpipe /usr/bin/feedpipe-*; do
  ldd "$exe" > "$T/ldd" || fail "ldd $exe"
  ! grep -q 'not found' "$T/ldd" || fail "$exe: $(grep 'not found' "$T/ldd")"
  readelf -d "$exe" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | while read -r soname; do
    awk -v so="$soname" '$1 == so && $2 == "=>" { print $3 }' "$T/ldd"
  done
done | sort -u > "$T/libs"
[ -s "$T/libs" ] || fail "no linked libraries found"
owner() { # the package that owns a library, under any of its /usr-merged names
  local real p
  real=$(readlink -f "$1")
  for p in "$real" "$1" "${real#/usr}" "/usr${1#/usr}"; do
    dpkg -S "$p" 2> /dev/null | head -n1 | cut -d: -f1 | grep . && return 0
  done
  return 1
}
while read -r lib; do
  pkg=$(owner "$lib") || fail "no package owns $lib"
  grep -qx "$pkg" "$T/depends" || fail "Depends lacks $pkg (for $lib): $(dpkg-deb -f "$deb" Depends)"
done < "$T/libs"
for pkg in libyaml-0-2 libxml2 libjansson4 libpq5 zlib1g libutf8proc2; do
  grep -qx "$pkg" "$T/depends" || fail "Depends lacks $pkg: $(dpkg-deb -f "$deb" Depends)"
done

# The installed driver finds the installed stages (no build tree on PATH) and
# writes what the build under test writes.
env -u FEEDPIPE_LIBEXEC PATH=/usr/bin:/bin /usr/bin/feedpipe --version > "$T/version" || fail "feedpipe --version"
grep -q '^feedpipe (feedpipe) ' "$T/version" || fail "version: $(cat "$T/version")"
(cd "$FP_SOURCE" && env -u FEEDPIPE_LIBEXEC PATH=/usr/bin:/bin \
  /usr/bin/feedpipe run -q --out "$T/installed.jsonl.gz" fixtures) || fail "installed feedpipe run: status $?"
(cd "$FP_SOURCE" && env -u FEEDPIPE_LIBEXEC "$FP_BUILD/feedpipe" run -q --out "$T/built.jsonl.gz" fixtures) ||
  fail "built feedpipe run: status $?"
for f in installed built; do
  zcat "$T/$f.jsonl.gz" > "$T/$f.articles"
  zcat "$T/$f.rejects.jsonl.gz" > "$T/$f.rejects"
done
diff -u "$T/built.articles" "$T/installed.articles" > /dev/null || fail "installed and built articles differ"
diff -u "$T/built.rejects" "$T/installed.rejects" > /dev/null || fail "installed and built rejects differ"

# One article or one reject per post file, and the Hexo post comes out right.
posts=$(cd "$FP_SOURCE" && find -L fixtures -name '*.md' -type f -not -path '*/.*' | wc -l)
articles=$(wc -l < "$T/installed.articles")
rejects=$(wc -l < "$T/installed.rejects")
[ $((articles + rejects)) -eq "$posts" ] || fail "$articles articles + $rejects rejects for $posts post files"
jq -c 'select(.source.path == "extract/basic-hexo/input/金融/新浪财经/post.md")
  | [.title, .topic, .site, .feed, .published_at]' "$T/installed.articles" > "$T/hexo"
echo '["王毅谈2022年：外交","金融","新浪财经","新浪财经－国內","2021-12-20T05:08:08Z"]' > "$T/expect"
diff -u "$T/expect" "$T/hexo" || fail "basic-hexo article"

dpkg -r feedpipe > "$T/dpkg.log" 2>&1 || { cat "$T/dpkg.log"; fail "dpkg -r feedpipe"; }
installed=0
[ ! -e /usr/bin/feedpipe ] || fail "/usr/bin/feedpipe left after dpkg -r"
echo "ok: $(basename "$deb") installed, $articles articles + $rejects rejects as built, removed"
