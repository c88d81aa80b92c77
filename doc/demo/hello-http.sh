#!/bin/sh
# A tiny HTTP/1.0 responder for the s6-tlsd demo, in POSIX sh.
#
# Reads the request line and the headers up to the blank line from fd 0,
# answers "200 OK" with a text/plain body that lists the request line and
# every SSL_* variable s6-tlsd gave it. It never sees the network socket
# nor the keys: fd 0/1 are cleartext pipes to s6-tlsd-io.
cr=$(printf '\r')

IFS= read -r request || exit 0
request=${request%"$cr"}
# headers: skipped, up to the blank line (at most 100 of them)
n=0
while [ "$n" -lt 100 ] && IFS= read -r line; do
	line=${line%"$cr"}
	[ -z "$line" ] && break
	n=$((n + 1))
done

body=$(
	printf 'Hello over TLS, from pid %s.\n\n' "$$"
	printf 'Request: %s\n\n' "$request"
	env | grep '^SSL_' | sort
)
body="$body
"
len=$(printf '%s' "$body" | wc -c)
printf 'HTTP/1.0 200 OK\r\n'
printf 'Content-Type: text/plain; charset=utf-8\r\n'
printf 'Content-Length: %d\r\n' "$len"
printf 'Connection: close\r\n\r\n'
printf '%s' "$body"
