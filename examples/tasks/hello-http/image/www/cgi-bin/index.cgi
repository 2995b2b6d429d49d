#!/bin/sh
# GET /: the greeting, from the service's GREETING (as server.mjs answers it on the process runtime).
printf 'Content-Type: text/plain\r\n\r\n'
printf '%s from taskenv!\n' "${GREETING:-Hello}"
