from . import context


class AuditContextMiddleware:
    """Tell the audit trail whether a request came through a page or the API, and from which address."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        channel = "api" if request.path.startswith(("/api/", "/fhir/")) else "web"
        token = context.activate(context.AuditContext(channel=channel, ip_address=client_address(request)))
        try:
            return self.get_response(request)
        finally:
            context.reset(token)


def client_address(request) -> str | None:
    # Behind the production proxy REMOTE_ADDR is the proxy; gunicorn is configured to trust only it,
    # so the first forwarded address is the client's.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    address = forwarded.split(",")[0].strip() if forwarded else request.META.get("REMOTE_ADDR")
    return address or None
