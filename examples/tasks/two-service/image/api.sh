# The api service: the JSON message from MESSAGE at /api/message, on port 8081.
mkdir -p /srv/api/api
escaped=$(printf '%s' "${MESSAGE:-Hello from the API}" | sed 's/\\/\\\\/g; s/"/\\"/g')
printf '{"message":"%s"}\n' "$escaped" > /srv/api/api/message
exec httpd -f -p 8081 -h /srv/api
