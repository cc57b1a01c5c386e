#!/usr/bin/env bash
# Debian's nginx on loopback in front of two Butaca instances sharing one PostgreSQL database and
# one media store, with deploy/nginx/butaca.conf itself as nginx's configuration (ports, paths
# and the certificate substituted into a copy). Runs the course client scenario through it over
# HTTP/2, then a few checks; prints PASS/FAIL lines and exits non-zero when any check fails.
# Not part of `npm test`: it needs nginx (installed with apt-get when missing, as root) and a
# PostgreSQL server on 127.0.0.1:5432 that lets user postgres create databases.
#
#   scripts/nginx-two-instances.sh          # from the repository root; about 30 s
#
# Everything it starts (two instances, nginx) and makes (a database, a temporary directory) is
# stopped and removed on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
PGUSER=${PGUSER:-postgres}
export PGHOST PGPORT PGUSER
# The visitor's address: any 127.x address reaches a loopback listener on Linux, and one that
# differs from nginx's own (127.0.0.1) shows in the instances' logs whose address they saw.
CLIENT_ADDR=127.0.0.2
ADMIN_PASSWORD=admin-password-nginx

WORK=$(mktemp -d "${TMPDIR:-/tmp}/butaca-nginx.XXXXXX")
DB="butaca_nginx_$(date +%s)_$$"
DB_MADE=0
INSTANCE_PIDS=()
NGINX_PID=
FAILURES=0

say() { printf '%s\n' "$*"; }
pass() { say "PASS $*"; }
fail() { say "FAIL $*"; FAILURES=$((FAILURES + 1)); }
die() { say "FAIL $*"; exit 1; }

# Stops what this script started, by pid, waiting up to $2 seconds before SIGKILL.
stop_pid() {
  local pid=$1 grace=$2 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  set +e
  [[ -n $NGINX_PID ]] && stop_pid "$NGINX_PID" 5
  for pid in "${INSTANCE_PIDS[@]}"; do stop_pid "$pid" 15; done
  [[ $DB_MADE == 1 ]] && dropdb --if-exists --force "$DB"
  if [[ $status != 0 && -z ${KEEP_WORK:-} ]]; then
    say "--- last lines of the logs (KEEP_WORK=1 keeps $WORK) ---"
    tail -n 5 "$WORK"/a.log "$WORK"/b.log "$WORK"/nginx/logs/error.log 2>/dev/null
  fi
  [[ -z ${KEEP_WORK:-} ]] && rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  node -e "const s = require('node:net').createServer().listen(0, '127.0.0.1', () => { console.log(s.address().port); s.close(); })"
}

# --- nginx --------------------------------------------------------------------------------------
if ! command -v nginx >/dev/null 2>&1; then
  [[ $(id -u) == 0 ]] || die "nginx is not installed: sudo apt-get install nginx"
  say "nginx is missing: installing Debian's with apt-get (the service is not started)"
  DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y --no-install-recommends nginx >"$WORK/apt.log" 2>&1 ||
    die "apt-get install nginx failed (see $WORK/apt.log)"
fi
NGINX_VERSION=$(nginx -v 2>&1 | sed -n 's|.*nginx/\([0-9.]*\).*|\1|p')
say "nginx $NGINX_VERSION"

# --- how to run butaca ----------------------------------------------------------------------------
if [[ -f dist/cli/main.js ]]; then
  BUTACA=(node bin/butaca.js)
else
  say "NOTE dist/ is not built (npm run build:server): running butaca from src/ through tsx"
  BUTACA=(node --import tsx src/cli/main.ts)
fi

# --- PostgreSQL: a fresh database, dropped at exit ------------------------------------------------
timeout 20 createdb "$DB" || die "cannot create database $DB on $PGHOST:$PGPORT as $PGUSER"
DB_MADE=1
export DATABASE_URL="postgres://$PGUSER@$PGHOST:$PGPORT/$DB"
say "database $DB"

# --- the two instances ------------------------------------------------------------------------------
PORT_A=$(free_port)
PORT_B=$(free_port)
HTTPS_PORT=$(free_port)
HTTP_PORT=$(free_port)
mkdir -p "$WORK/a" "$WORK/b" "$WORK/media"
# One schema migration before either starts; then an administrator, as an operator makes one.
timeout 60 "${BUTACA[@]}" migrate >"$WORK/migrate.log" 2>&1 || die "butaca migrate failed: $(tail -n 3 "$WORK/migrate.log")"
printf '%s\n' "$ADMIN_PASSWORD" | timeout 60 "${BUTACA[@]}" user create admin --admin >"$WORK/admin.log" 2>&1 ||
  die "butaca user create failed: $(tail -n 3 "$WORK/admin.log")"

start_instance() { # name port
  # Each instance its own DATA_DIR (a start clears $DATA_DIR/tmp, where uploads in flight are
  # staged); the database and the media store are shared.
  env HOST=127.0.0.1 PORT="$2" DATA_DIR="$WORK/$1" MEDIA_STORE="file:$WORK/media" \
    TRUST_PROXY=127.0.0.1 LOG_LEVEL=info \
    "${BUTACA[@]}" serve >>"$WORK/$1.log" 2>&1 &
  INSTANCE_PIDS+=($!)
  eval "PID_$1=$!"
}

wait_ready() { # port
  local i
  for ((i = 0; i < 300; i++)); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$1/readyz") == 200 ]] && return 0
    sleep 0.1
  done
  return 1
}

start_instance a "$PORT_A"
start_instance b "$PORT_B"
wait_ready "$PORT_A" || die "instance a (port $PORT_A) not ready within 30 s"
wait_ready "$PORT_B" || die "instance b (port $PORT_B) not ready within 30 s"
say "instances on 127.0.0.1:$PORT_A and 127.0.0.1:$PORT_B"

# --- nginx with deploy/nginx/butaca.conf --------------------------------------------------------
mkdir -p "$WORK/nginx/logs" "$WORK/nginx/temp" "$WORK/tls"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
  -addext 'subjectAltName=DNS:localhost,IP:127.0.0.1' \
  -keyout "$WORK/tls/key.pem" -out "$WORK/tls/cert.pem" >/dev/null 2>&1 || die "openssl could not make a certificate"

site=$(<deploy/nginx/butaca.conf)
# Each replaced text must be in the file: an edit of the configuration that this script does not
# follow fails here, rather than testing something other than what the docs show.
subst() {
  [[ $site == *"$1"* ]] || die "deploy/nginx/butaca.conf no longer contains: $1"
  site=${site//"$1"/"$2"}
}
# nginx 1.25.1 turned `listen … http2` into the `http2 on;` directive.
if printf '%s\n1.25.0\n' "$NGINX_VERSION" | sort -V -C; then h2_listen="ssl http2;"; else h2_listen="ssl; http2 on;"; fi
subst 'listen 443 ssl http2;' "listen 127.0.0.1:$HTTPS_PORT $h2_listen"
subst 'listen [::]:443 ssl http2;' ''
subst 'listen 80;' "listen 127.0.0.1:$HTTP_PORT;"
subst 'listen [::]:80;' ''
subst 'server 127.0.0.1:8001 ' "server 127.0.0.1:$PORT_A "
subst 'server 127.0.0.1:8002 ' "server 127.0.0.1:$PORT_B "
subst '/etc/letsencrypt/live/butaca.example.com/fullchain.pem' "$WORK/tls/cert.pem"
subst '/etc/letsencrypt/live/butaca.example.com/privkey.pem' "$WORK/tls/key.pem"
if [[ -n ${TRAILER_MAX_BYTES:-} ]]; then subst 'client_max_body_size 1040m;' "client_max_body_size $((TRAILER_MAX_BYTES / 1048576 + 16))m;"; fi
printf '%s\n' "$site" >"$WORK/nginx/butaca.conf"

# What Debian's /etc/nginx/nginx.conf provides around a site file, inside the temporary prefix.
cat >"$WORK/nginx/nginx.conf" <<EOF
worker_processes 1;
error_log logs/error.log notice;
events { worker_connections 256; }
http {
    types { application/json json; text/html html; }
    default_type application/octet-stream;
    log_format upstream '\$remote_addr "\$request" \$status \$server_protocol upstream=\$upstream_addr';
    access_log logs/access.log upstream;
    client_body_temp_path temp/body;
    proxy_temp_path temp/proxy;
    fastcgi_temp_path temp/fastcgi;
    uwsgi_temp_path temp/uwsgi;
    scgi_temp_path temp/scgi;
    include butaca.conf;
}
EOF
# As root the workers run as nobody: they must be able to reach the prefix.
chmod 755 "$WORK" "$WORK/nginx"
nginx -t -p "$WORK/nginx/" -c nginx.conf -e "$WORK/nginx/logs/error.log" -g "pid $WORK/nginx/nginx.pid;" >"$WORK/nginx-t.log" 2>&1 ||
  die "nginx -t: $(cat "$WORK/nginx-t.log")"
nginx -p "$WORK/nginx/" -c nginx.conf -e "$WORK/nginx/logs/error.log" -g "daemon off; pid $WORK/nginx/nginx.pid;" &
NGINX_PID=$!
BASE="https://127.0.0.1:$HTTPS_PORT"
for ((i = 0; i < 100; i++)); do
  [[ $(curl -sk -o /dev/null -w '%{http_code}' --max-time 2 "$BASE/healthz") == 200 ]] && break
  sleep 0.1
done
say "nginx on $BASE (and http://127.0.0.1:$HTTP_PORT)"

# --- the course scenario, over HTTP/2 through nginx ---------------------------------------------
if ADMIN_USERNAME=admin ADMIN_PASSWORD=$ADMIN_PASSWORD LOCAL_ADDRESS=$CLIENT_ADDR \
  timeout 120 node --import tsx scripts/course-through.ts "$BASE" >"$WORK/course.log" 2>&1; then
  pass "course client scenario through nginx over HTTP/2 (nginx has logged $(grep -c 'HTTP/2.0' "$WORK/nginx/logs/access.log") HTTP/2 requests)"
else
  fail "course client scenario through nginx: $(head -c 2000 "$WORK/course.log")"
fi

curlx() { curl -sk --http2 --max-time 20 "$@"; }

version=$(curlx -o /dev/null -w '%{http_version}' "$BASE/api/v1/movies")
[[ $version == 2 ]] && pass "curl --http2 gets HTTP/$version answers" || fail "curl --http2 got HTTP/$version"

hsts=$(curlx -o /dev/null -D - "$BASE/healthz" | tr -d '\r' | grep -i '^strict-transport-security:' || true)
[[ -n $hsts ]] && pass "HSTS from nginx: ${hsts#*: }" || fail "no Strict-Transport-Security header"

redirect=$(curl -s --max-time 5 -o /dev/null -w '%{http_code} %{redirect_url}' "http://127.0.0.1:$HTTP_PORT/api/v1/movies")
[[ $redirect == "301 https://"* ]] && pass "plain HTTP redirected: $redirect" || fail "plain HTTP: $redirect"

# --- media through nginx: a poster upload, a trailer upload streamed, a Range request ----------
token=$(curlx -d username=admin --data-urlencode "password=$ADMIN_PASSWORD" "$BASE/auth" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
movie=$(curlx -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"title":"Cría cuervos","year":1976}' "$BASE/api/v1/movies" | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
if [[ -z $token || -z $movie ]]; then
  fail "admin token or new movie through nginx (token ${#token} chars, movie '$movie')"
else
  poster=$(curlx -o "$WORK/poster.json" -w '%{http_code}' -H "authorization: Bearer $token" -H 'content-type: image/jpeg' \
    --data-binary @test/fixtures/media/poster.jpg "$BASE/api/v1/movies/$movie/poster")
  [[ $poster == 201 ]] && pass "poster upload through nginx: 201" || fail "poster upload: $poster $(cat "$WORK/poster.json")"
  got=$(curlx -o "$WORK/poster.out" -w '%{http_code} %{content_type}' "$BASE/api/v1/movies/$movie/poster")
  [[ $got == "200 image/"* ]] && pass "poster download through nginx: $got" || fail "poster download: $got"

  # Chunked (no Content-Length) over HTTP/1.1, so nginx cannot know the size before streaming it.
  trailer=$(curl -sk --http1.1 --max-time 20 -o "$WORK/trailer.json" -w '%{http_code}' -H "authorization: Bearer $token" \
    -H 'content-type: video/mp4' -H 'transfer-encoding: chunked' --data-binary @test/fixtures/media/trailer.mp4 \
    "$BASE/api/v1/movies/$movie/trailer")
  [[ $trailer == 201 ]] && pass "trailer upload (chunked) through nginx: 201" || fail "trailer upload: $trailer $(cat "$WORK/trailer.json")"
  size=$(stat -c %s test/fixtures/media/trailer.mp4)
  range=$(curlx -o "$WORK/range.out" -D "$WORK/range.head" -w '%{http_code}' -r 1000-1999 "$BASE/api/v1/movies/$movie/trailer")
  content_range=$(tr -d '\r' <"$WORK/range.head" | sed -n 's/^content-range: //Ip')
  if [[ $range == 206 && $content_range == "bytes 1000-1999/$size" ]] && cmp -s "$WORK/range.out" <(tail -c +1001 test/fixtures/media/trailer.mp4 | head -c 1000); then
    pass "Range GET of the trailer through nginx: 206, $content_range, the right 1000 bytes"
  else
    fail "Range GET of the trailer: $range '$content_range' ($(stat -c %s "$WORK/range.out") bytes)"
  fi
fi

# --- both instances served, and saw the visitor's address, not nginx's or a forged one -----------
served_a=$(grep -c '"request completed"' "$WORK/a.log" || true)
served_b=$(grep -c '"request completed"' "$WORK/b.log" || true)
upstreams=$(grep -o 'upstream=[0-9.:]*' "$WORK/nginx/logs/access.log" | sort | uniq -c | tr -s ' ' | tr '\n' ';')
if ((served_a > 0 && served_b > 0)); then
  pass "both instances served requests: a $served_a, b $served_b (nginx:$upstreams)"
else
  fail "requests per instance: a $served_a, b $served_b"
fi

curlx --interface "$CLIENT_ADDR" -o /dev/null -H 'X-Forwarded-For: 203.0.113.9' "$BASE/api/v1/movies?forged=1"
sleep 0.2
line=$(grep -h 'forged=1' "$WORK/a.log" "$WORK/b.log" | grep '"request completed"' || true)
if [[ $line == *"\"remoteAddress\":\"$CLIENT_ADDR\""* ]]; then
  pass "X-Forwarded-For from nginx honoured: the instance logged the visitor $CLIENT_ADDR, not 127.0.0.1 nor the forged 203.0.113.9"
else
  fail "client address in the instance's log: ${line:-no line}"
fi

# --- rolling restart: instance a stops (SIGTERM, drain) and comes back under steady traffic ------
URLS=120
: >"$WORK/rolling.curl"
for ((i = 0; i < URLS; i++)); do printf 'url = "%s/api/v1/movies"\noutput = /dev/null\n' "$BASE" >>"$WORK/rolling.curl"; done
curl -sk --http2 --max-time 60 --rate 20/s -w '%{http_code}\n' -K "$WORK/rolling.curl" >"$WORK/rolling.codes" 2>/dev/null &
traffic=$!
sleep 1
stop_pid "$PID_a" 15
start_instance a "$PORT_A"
wait_ready "$PORT_A" || fail "instance a did not come back within 30 s"
wait "$traffic" || true
ok=$(grep -c '^200$' "$WORK/rolling.codes" || true)
other=$(grep -v '^200$' "$WORK/rolling.codes" | sort | uniq -c | tr -s ' ' | tr '\n' ';' || true)
if [[ $ok == "$URLS" ]]; then
  pass "rolling restart of instance a under 20 GET/s: $ok/$URLS answered 200"
else
  fail "rolling restart: $ok/$URLS answered 200; others:${other:- none (curl stopped early)}"
fi

# --- the systemd units parse (they cannot run here: no systemd as PID 1) --------------------------
if command -v systemd-analyze >/dev/null 2>&1; then
  mkdir -p "$WORK/units"
  cp deploy/systemd/butaca.service "$WORK/units/"
  cp deploy/systemd/butaca@.service "$WORK/units/butaca@8001.service"
  problems=$(cd "$WORK/units" && systemd-analyze verify ./butaca.service ./butaca@8001.service 2>&1 || true)
  [[ -z $problems ]] && pass "systemd-analyze verify: deploy/systemd units parse" || fail "systemd-analyze verify: $problems"
else
  say "SKIP systemd-analyze is not installed: the units were not checked"
fi

say "---"
if ((FAILURES > 0)); then
  say "FAIL $FAILURES check(s) failed"
  exit 1
fi
say "PASS all checks"
