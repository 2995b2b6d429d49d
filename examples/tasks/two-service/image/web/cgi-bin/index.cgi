#!/bin/sh
# GET /: a page with the message of the api service next to it. Both containers share one
# network namespace (as in an awsvpc task), so the API answers on 127.0.0.1:8081.
if ! answer=$(wget -q -O - http://127.0.0.1:8081/api/message); then
  printf 'Status: 502 Bad Gateway\r\nContent-Type: text/plain\r\n\r\nThe API did not answer\n'
  exit 0
fi
message=$(printf '%s' "$answer" | sed -n 's/.*"message":"\(\([^"\\]\|\\.\)*\)".*/\1/p' | sed 's/\\\(.\)/\1/g; s/[&<>]//g')
printf 'Content-Type: text/html; charset=utf-8\r\n\r\n'
printf '<!doctype html><title>two-service</title><h1>%s</h1>' "$message"
printf '<p>Read from the api service at <code>/api/message</code>.</p>\n'
