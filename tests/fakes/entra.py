"""A fake Microsoft Entra ID for signing in people (OpenID Connect, authorization code with PKCE), over
TLS as msal requires: the OpenID configuration, the authorize page (which signs in `next_person` at
once and sends the browser back with a code), the token endpoint (an ID token signed with a test RSA
key) and the signing keys (JWKS).

Switches to misbehave: `next_person` (another or an unknown address, no "mfa" in `amr`),
`wrong_nonce_next`, `wrong_audience_next`, `sign_with_other_key_next`, and `fail_next()` of the base
class for an error answer of the token endpoint.

Run by hand:  python -m tests.fakes.entra --port 8443
"""

import argparse
import base64
import hashlib
import json
import secrets
import threading
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from . import schemas
from .graph import ENTRA_ERRORS
from .server import FakeServer, RecordedRequest, Reply, wait_for_interrupt

TENANT_ID = "5f0c3b9e-2d41-4c8a-9b7e-1a6d2e8f4c03"
CLIENT_ID = "8a1d4e7b-3c62-4f90-a5d8-2b7e9c1f6a44"
CLIENT_SECRET = "fake-entra-sign-in-secret"


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class EntraSignInFake(FakeServer):
    name = "entra-sign-in"
    routes = [
        ("GET", r"^/(?P<tenant>[^/]+)/v2\.0/\.well-known/openid-configuration$", "openid_configuration"),
        ("GET", r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/authorize(\?.*)?$", "authorize"),
        ("POST", r"^/(?P<tenant>[^/]+)/oauth2/v2\.0/token$", "token"),
        ("GET", r"^/(?P<tenant>[^/]+)/discovery/v2\.0/keys$", "keys"),
    ]

    def __init__(self, *, port: int = 0, tenant_id: str = TENANT_ID, client_id: str = CLIENT_ID) -> None:
        super().__init__(tls=True, port=port)
        self.tenant_id = tenant_id
        self.client_id = client_id
        self.client_secret = CLIENT_SECRET
        self.signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = "fake-key-1"
        self.next_person: dict[str, Any] = {
            "email": "julie.tremblay@ssss.gouv.qc.ca",
            "preferred_username": "julie.tremblay@ssss.gouv.qc.ca",
            "name": "Julie Tremblay",
            "amr": ["pwd", "mfa"],
        }
        self.wrong_nonce_next = False
        self.wrong_audience_next = False
        self.sign_with_other_key_next = False
        self.schema_problems: list[str] = []
        self._codes: dict[str, dict[str, Any]] = {}
        self._codes_lock = threading.Lock()

    @property
    def authority_base_url(self) -> str:
        return self.url

    @property
    def issuer(self) -> str:
        return f"{self.url}/{self.tenant_id}/v2.0"

    def environment(self) -> dict[str, str]:
        """The settings that point the portal's network sign-in at this fake."""
        return {
            "ENTRA_TENANT_ID": self.tenant_id,
            "ENTRA_CLIENT_ID": self.client_id,
            "ENTRA_CLIENT_SECRET": self.client_secret,
            "ENTRA_AUTHORITY_BASE_URL": self.url,
            "ENTRA_CA_BUNDLE": self.ca_bundle,
        }

    def error_body(self, status: int, message: str | None = None, error: str | None = None) -> Any:
        default_error, default_description = ENTRA_ERRORS.get(status, ("invalid_request", "AADSTS90000: Error."))
        return {
            "error": error or default_error,
            "error_description": message or default_description,
            "error_codes": [],
            "timestamp": time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime()),
            "trace_id": str(uuid.uuid4()),
            "correlation_id": str(uuid.uuid4()),
        }

    def _checked(self, schema: str, body: Any) -> Any:
        # What the fake answers must stay what Entra answers (tests/fakes/vendor_schemas).
        self.schema_problems.extend(schemas.problems(schemas.ENTRA_TOKEN, schema, body))
        return body

    # -- routes -----------------------------------------------------------------------------------

    def openid_configuration(self, request: RecordedRequest, tenant: str) -> Reply:
        if tenant != self.tenant_id:
            return Reply(400, self.error_body(400, f"AADSTS90002: Tenant '{tenant}' not found.", "invalid_tenant"))
        base = f"{self.url}/{tenant}"
        return Reply(
            200,
            self._checked(
                "local.OpenIdConfiguration",
                {
                    "issuer": self.issuer,
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "jwks_uri": f"{base}/discovery/v2.0/keys",
                    "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                    "subject_types_supported": ["pairwise"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "scopes_supported": ["openid", "profile", "email", "offline_access"],
                },
            ),
        )

    def authorize(self, request: RecordedRequest, tenant: str) -> Reply:
        """The person signs in at once (as `next_person`); the browser goes back with a code."""
        query = {name: values[0] for name, values in request.query.items()}
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != self.client_id or not redirect_uri:
            return Reply(400, self.error_body(400, "AADSTS700016: Application not found.", "unauthorized_client"))
        if query.get("response_type") != "code" or "openid" not in query.get("scope", "").split():
            return Reply(400, self.error_body(400, "AADSTS90014: Missing openid scope or code.", "invalid_request"))
        code = secrets.token_urlsafe(32)
        with self._codes_lock:
            self._codes[code] = {
                "redirect_uri": redirect_uri,
                "nonce": query.get("nonce"),
                "code_challenge": query.get("code_challenge"),
                "person": dict(self.next_person),
            }
        location = f"{redirect_uri}?{urlencode({'code': code, 'state': query.get('state', ''), 'session_state': 'x'})}"
        return Reply(302, None, {"Location": location})

    def token(self, request: RecordedRequest, tenant: str) -> Reply:
        form = request.body if isinstance(request.body, dict) else {}
        if form.get("grant_type") != "authorization_code":
            return self._refuse(400, "unsupported_grant_type", "AADSTS70003: Unsupported grant type.")
        if form.get("client_id") != self.client_id or form.get("client_secret") != self.client_secret:
            return self._refuse(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
        with self._codes_lock:
            grant = self._codes.pop(form.get("code", ""), None)  # a code works once
        if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
            return self._refuse(400, "invalid_grant", "AADSTS70008: The provided authorization code is invalid.")
        verifier = form.get("code_verifier", "")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if grant["code_challenge"] and challenge != grant["code_challenge"]:
            return self._refuse(400, "invalid_grant", "AADSTS501481: The code verifier does not match.")
        body = {
            "token_type": "Bearer",
            "scope": form.get("scope", "openid profile"),
            "expires_in": 3599,
            "ext_expires_in": 3599,
            "access_token": f"fake-access-{secrets.token_urlsafe(16)}",
            "id_token": self._id_token(grant),
        }
        return Reply(200, self._checked("local.TokenResponse", body))

    def keys(self, request: RecordedRequest, tenant: str) -> Reply:
        numbers = self.signing_key.public_key().public_numbers()
        return Reply(
            200,
            {
                "keys": [
                    {
                        "kty": "RSA",
                        "use": "sig",
                        "kid": self.key_id,
                        "n": _b64url_uint(numbers.n),
                        "e": _b64url_uint(numbers.e),
                        "issuer": self.issuer,
                    }
                ]
            },
        )

    # -- helpers ----------------------------------------------------------------------------------

    def _refuse(self, status: int, error: str, description: str) -> Reply:
        return Reply(status, self._checked("local.TokenError", self.error_body(status, description, error)))

    def _id_token(self, grant: dict[str, Any]) -> str:
        now = int(time.time())
        person = grant["person"]
        claims = {
            "iss": self.issuer,
            "aud": "another-application" if self.wrong_audience_next else self.client_id,
            "iat": now,
            "nbf": now,
            "exp": now + 3600,
            "sub": hashlib.sha256(person.get("email", "").encode()).hexdigest()[:43],
            "oid": str(uuid.uuid5(uuid.NAMESPACE_URL, person.get("email", ""))),
            "tid": self.tenant_id,
            "nonce": "not-the-nonce-you-sent" if self.wrong_nonce_next else grant["nonce"],
            "ver": "2.0",
            **{name: value for name, value in person.items() if value is not None},
        }
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if self.sign_with_other_key_next else None
        self.wrong_nonce_next = self.wrong_audience_next = self.sign_with_other_key_next = False
        return jwt.encode(claims, key or self.signing_key, algorithm="RS256", headers={"kid": self.key_id})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8443)
    arguments = parser.parse_args()
    with EntraSignInFake(port=arguments.port) as fake:
        print(json.dumps(fake.environment(), indent=2))
        wait_for_interrupt()


if __name__ == "__main__":
    main()
