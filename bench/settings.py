"""The portal's production settings, plus what the benchmark needs: the baseline view's URLconf and
a header with the number of SQL queries of each response. Never used outside bench/."""

from telesante.settings import *  # noqa: F403
from telesante.settings import MIDDLEWARE

ROOT_URLCONF = "bench.urls"
# First, so that it counts every query of the request, the session's save included.
MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]
