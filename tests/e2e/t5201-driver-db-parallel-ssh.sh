#!/usr/bin/env bash
# The README's GNU parallel recipe, as written: eight shards over two ssh
# hosts, into PostgreSQL and into shard=K directories, give what one
# unsharded run gives. The hosts are two aliases, in a private ssh config
# (ssh -F), of an sshd of the test's own on 127.0.0.1 (its own config, host
# key, user key and port), started and stopped here. Uses a private
# PostgreSQL: the recipe loads into the default schema.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/load-lib.sh"
need_pg
. "$(dirname "$0")/driverlib.sh"
sshd=$(command -v sshd || echo /usr/sbin/sshd)
[ -x "$sshd" ] || skip "no sshd (scripts/test installs openssh-server)"
for c in ssh ssh-keygen parallel perl; do
  command -v $c >/dev/null || skip "no $c (scripts/test installs openssh-server and parallel)"
done
readme=$FP_SOURCE/README.md
mapfile -t lines < <(grep '^ *seq 0 7 | parallel ' "$readme" | sed 's/^ *//')
[ ${#lines[@]} = 2 ] || fail "expected the two GNU parallel lines in the README, found ${#lines[@]}"

private_pg
trap '[ -f "$T/ssh/sshd.pid" ] && kill "$(cat "$T/ssh/sshd.pid")" 2>/dev/null; private_pg_stop; rm -rf "$T"' EXIT
# Should this script be killed outright, a watchdog stops sshd as well.
setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done
  [ -f "$2" ] && kill "$(cat "$2")"' watchdog $$ "$T/ssh/sshd.pid" >/dev/null 2>&1 </dev/null &

# --- an sshd of our own ------------------------------------------------------
mkdir -m 700 "$T/ssh"
ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/host_key" || fail "host key"
ssh-keygen -q -t ed25519 -N '' -f "$T/ssh/id" || fail "user key"
cp "$T/ssh/id.pub" "$T/ssh/authorized_keys"
me=$(id -un)
# As root, sshd needs its privilege separation directory (the ssh service
# makes it at boot).
[ "$(id -u)" = 0 ] && [ ! -d /run/sshd ] && mkdir -m 755 /run/sshd
for try in $(seq 20); do
  port=$((20000 + (RANDOM % 20000)))
  cat >"$T/ssh/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $port
HostKey $T/ssh/host_key
PidFile $T/ssh/sshd.pid
AuthorizedKeysFile $T/ssh/authorized_keys
AllowUsers $me
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
SetEnv PATH=$FP_BUILD:$PATH ASAN_OPTIONS=${ASAN_OPTIONS:-} UBSAN_OPTIONS=${UBSAN_OPTIONS:-}
EOF
  rm -f "$T/ssh/sshd.pid"
  "$sshd" -f "$T/ssh/sshd_config" -E "$T/ssh/sshd.log" || skip "sshd cannot run here: $(tail -3 "$T/ssh/sshd.log")"
  for _ in $(seq 50); do [ -s "$T/ssh/sshd.pid" ] && break; sleep 0.1; done
  [ -s "$T/ssh/sshd.pid" ] && break
  grep -q 'Address already in use' "$T/ssh/sshd.log" || skip "sshd cannot run here: $(tail -3 "$T/ssh/sshd.log")"
done
[ -s "$T/ssh/sshd.pid" ] || fail "no free port for sshd"
echo "feedpipe-t5201 $(cut -d' ' -f1,2 "$T/ssh/host_key.pub")" >"$T/ssh/known_hosts"
cat >"$T/ssh/config" <<EOF
Host host1 host2
  HostName 127.0.0.1
  Port $port
  User $me
  IdentityFile $T/ssh/id
  IdentitiesOnly yes
  HostKeyAlias feedpipe-t5201
  UserKnownHostsFile $T/ssh/known_hosts
  StrictHostKeyChecking yes
  BatchMode yes
  LogLevel ERROR
EOF
# parallel's ssh (PARALLEL_SSH): ours, noting the host each job went to.
cat >"$T/ssh/ssh" <<EOF
#!/bin/sh
for a; do case \$a in host1|host2) echo "\$a" >>"$T/ssh/hosts" ;; esac; done
exec ssh -F "$T/ssh/config" "\$@"
EOF
chmod +x "$T/ssh/ssh"
[ "$(ssh -F "$T/ssh/config" host2 'command -v feedpipe')" = "$FP_BUILD/feedpipe" ] ||
  fail "ssh host2 does not find the build's feedpipe: $(tail -5 "$T/ssh/sshd.log")"

# --- the recipe --------------------------------------------------------------
gen_inputs 300
archive=$T/gen
DSN="host=$PGHOST port=$PGPORT dbname=$PGDATABASE user=$PGUSER"
export DSN
mkdir -p "$T/lake" "$T/home"
for line in "${lines[@]}"; do
  cmd=${line//\/srv\/archive/$archive}
  cmd=${cmd//\/lake\//$T/lake/}
  rm -f "$T/ssh/hosts"
  # parallel keeps its state under $HOME/.parallel: a home of our own.
  (cd "$T" && HOME=$T/home PARALLEL_SSH=$T/ssh/ssh bash -o pipefail -c "$cmd") 2>"$T/parallel.err" ||
    fail "$line: exit $?: $(tail -5 "$T/parallel.err")"
  [ "$(sort -u "$T/ssh/hosts" | tr '\n' ' ')" = "host1 host2 " ] ||
    fail "$line: jobs ran on $(sort -u "$T/ssh/hosts" 2>/dev/null | tr '\n' ' ')"
done
[ "$(grep -c 'Accepted publickey' "$T/ssh/sshd.log")" -ge 2 ] || fail "sshd saw no logins"

# --- against one unsharded run ----------------------------------------------
q -c "SELECT 1" >/dev/null
"$driver" run -q "$archive" --pg "$DSN" --schema one || fail "unsharded run into PostgreSQL"
[ "$(checksum public)" = "$(checksum one)" ] || fail "PostgreSQL: the 8 shards differ from one run"
[ "$(q -c "SELECT count(*) FROM public.load_runs WHERE status = 'ok'")" = 8 ] ||
  fail "load_runs: $(q -c "SELECT id, status, arguments FROM public.load_runs")"
n=$(q -c "SELECT count(*) FROM one.articles")
[ "$n" -gt 200 ] || fail "only $n articles"
"$driver" run -q "$archive" --out-dir "$T/one" || fail "unsharded run into a directory"
[ "$(ls -d "$T"/lake/articles/shard=* | wc -l)" = 8 ] || fail "not 8 shard directories"
articles "$T/lake/articles" >"$T/sharded"
articles "$T/one" >"$T/single"
[ "$(wc -l <"$T/single")" = "$n" ] || fail "the directory run has $(wc -l <"$T/single") articles, PostgreSQL $n"
diff -q "$T/single" "$T/sharded" >/dev/null || fail "directories: the 8 shards differ from one run"
rejects() { find "$1" -path '*rejects*' -name '*.jsonl.gz' -print0 | xargs -0r zcat | sort; }
rejects "$T/lake/articles" >"$T/sharded.rej"
rejects "$T/one" >"$T/single.rej"
[ -s "$T/single.rej" ] || fail "no rejects in the directory run"
diff -q "$T/single.rej" "$T/sharded.rej" >/dev/null || fail "directories: rejects differ from one run"
echo ok
