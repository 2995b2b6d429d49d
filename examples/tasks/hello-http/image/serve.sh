# Writes what depends on this environment, then serves /www on port 8080 in the foreground:
# / is cgi-bin/index.cgi (the greeting), /healthz and /whoami are files.
printf '{"environment_id":"%s"}\n' "$TASKENV_ENVIRONMENT_ID" > /www/whoami
exec httpd -f -p 8080 -h /www
