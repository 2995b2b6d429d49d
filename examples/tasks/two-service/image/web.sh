# The web service: the page at / (web/cgi-bin/index.cgi), on port 8080.
exec httpd -f -p 8080 -h /srv/web
