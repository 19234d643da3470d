#!/usr/bin/env bash
# libgit2 is wrapped by one module: lib/git.c is the only file that includes
# its headers, and the only object library built with them (its headers are
# in the default include path, so the build alone cannot refuse another
# include: this test does).
. "$(dirname "$0")/lib.sh"

grep -rlE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"]git2(\.h|/)' \
  "$FP_SOURCE/lib" "$FP_SOURCE/stages" "$FP_SOURCE/tests" --include='*.[ch]' |
  sed "s|^$FP_SOURCE/||" | sort >"$T/got"
echo lib/git.c >"$T/expect"
diff -u "$T/expect" "$T/got" || fail "libgit2 is included outside lib/git.c"
grep -q 'add_library(fp_git OBJECT ${CMAKE_SOURCE_DIR}/lib/git.c)' "$FP_SOURCE/CMakeLists.txt" ||
  fail "lib/git.c is not an object library of its own"
[ "$(grep -c 'PkgConfig::LIBGIT2' "$FP_SOURCE/CMakeLists.txt")" = 2 ] ||
  fail "PkgConfig::LIBGIT2 linked by more than fp_git (compile) and feedpipe (link)"
echo ok
