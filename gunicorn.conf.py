"""Gunicorn settings of the Télésanté portal (docker-compose.yml runs `gunicorn -c gunicorn.conf.py telesante.wsgi`)."""

import os

# All interfaces inside the container; docker-compose.yml publishes the port to the host's loopback
# only, for the TLS-terminating proxy.
bind = "0.0.0.0:8000"

# 2 x cores + 1 keeps the cores busy while some workers wait on PostgreSQL; capped at 9 because each
# worker keeps its own database connection and its own memory. sched_getaffinity sees the CPUs the
# container may use, not all of the host's. WEB_CONCURRENCY overrides it.
workers = int(os.environ.get("WEB_CONCURRENCY", min(2 * len(os.sched_getaffinity(0)) + 1, 9)))

# The heartbeat file is touched constantly: on the container's disk-backed overlay that can block
# and get healthy workers killed, on tmpfs it cannot.
worker_tmp_dir = "/dev/shm"  # noqa: S108 (tmpfs on purpose, see above)  # nosec B108

# A page taking longer than 30 s is stuck: slow work (PDFs, mail, faxes) belongs to the Celery
# worker. On a restart, requests under way get as long to finish.
timeout = 30
graceful_timeout = 30

# Recycle workers now and then so that slow memory growth never adds up; the jitter keeps them
# from all restarting at once.
max_requests = 1000
max_requests_jitter = 100

# Addresses trusted to say the request came over HTTPS (X-Forwarded-Proto). Never "*": anyone
# reaching the port could then claim HTTPS. docker-compose.yml sets it to the address the proxy's
# connections come from; 127.0.0.1 is the container's own health check.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Logs go to the container's output. The access log names the path (%(U)s) but never the query
# string, the referrer or the user agent: a query or a previous page's URL can carry health
# information, which must never reach a log.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(L)s'

# The container is restarted, never managed in place: no control socket to leave behind in $HOME.
control_socket_disable = True
