"""Signing in with the network's Microsoft Entra ID account: OpenID Connect, authorization-code flow
with PKCE, through msal (integration contracts §1).

msal checks the `state` of the answer and the `nonce` of the ID token, but since 1.38 it no longer
checks the ID token itself: the signature (against the tenant's published keys), the issuer, the
audience and the expiry are checked here, so a token is never taken on its word.
"""

import threading
import warnings
from dataclasses import dataclass
from typing import Any

import jwt
import msal
import requests
from django.conf import settings
from django.db.models import Q

from audit.models import AuditEvent
from audit.services import record

from .models import User

SIGN_IN_SCOPES: list[str] = []  # msal adds openid and profile: an ID token is all the portal needs
TIMEOUT_SECONDS = 10
CLOCK_SKEW_SECONDS = 120


class SignInUnavailable(Exception):
    """The identity provider could not be reached or answered nonsense (a reason for the logs)."""


class SignInRefused(Exception):
    """The network sign-in does not lead to an account here; `reason` is a stable code."""

    def __init__(self, reason: str, *, identifier: str = ""):
        self.reason = reason
        self.identifier = identifier
        super().__init__(reason)


@dataclass(frozen=True)
class NetworkIdentity:
    user: User
    multifactor: bool  # Entra itself asked for a second factor (or the tenant is known to require it)


def is_configured() -> bool:
    return bool(settings.ENTRA_TENANT_ID and settings.ENTRA_CLIENT_ID and settings.ENTRA_CLIENT_SECRET)


def authority() -> str:
    return f"{settings.ENTRA_AUTHORITY_BASE_URL.rstrip('/')}/{settings.ENTRA_TENANT_ID}"


# One msal application per process and configuration: its construction fetches the tenant's OpenID
# configuration, which we do not want on every sign-in.
_lock = threading.Lock()
_cached: dict[tuple, tuple[msal.ConfidentialClientApplication, dict[str, Any], requests.Session]] = {}


def reset() -> None:
    """Forget the application (tests point the settings at a new fake each time)."""
    with _lock:
        _cached.clear()


def _session() -> requests.Session:
    # trust_env off: REQUESTS_CA_BUNDLE would silently replace `verify` (contracts §1.1), and a proxy
    # variable would send the fake's traffic elsewhere.
    session = requests.Session()
    session.trust_env = False
    session.verify = settings.ENTRA_CA_BUNDLE or True
    return session


def _client() -> tuple[msal.ConfidentialClientApplication, dict[str, Any], requests.Session]:
    key = (
        settings.ENTRA_TENANT_ID,
        settings.ENTRA_CLIENT_ID,
        settings.ENTRA_CLIENT_SECRET,
        settings.ENTRA_AUTHORITY_BASE_URL,
        settings.ENTRA_CA_BUNDLE,
    )
    with _lock:
        if key not in _cached:
            session = _session()
            try:
                configuration = session.get(
                    f"{authority()}/v2.0/.well-known/openid-configuration", timeout=TIMEOUT_SECONDS
                )
                configuration.raise_for_status()
                app = msal.ConfidentialClientApplication(
                    settings.ENTRA_CLIENT_ID,
                    client_credential=settings.ENTRA_CLIENT_SECRET,
                    authority=authority(),
                    http_client=session,
                    timeout=TIMEOUT_SECONDS,
                    # Instance discovery asks login.microsoftonline.com about the authority: meaningless
                    # for another host, and an internet call from a test.
                    instance_discovery=None if "login.microsoftonline.com" in authority() else False,
                    # No refresh token: the portal keeps its own session, not Entra's.
                    exclude_scopes=["offline_access"],
                )
                _cached[key] = (app, configuration.json(), session)
            except (requests.RequestException, ValueError) as error:
                raise SignInUnavailable(f"Entra ID configuration could not be read: {type(error).__name__}") from error
        return _cached[key]


def begin_sign_in(*, redirect_uri: str) -> dict[str, Any]:
    """The flow to keep in the session; its `auth_uri` is where the browser goes next."""
    app, _configuration, _session_used = _client()
    try:
        with warnings.catch_warnings():
            # msal recommends form_post; the answer then comes as a cross-site POST, which the browser
            # sends without the SameSite=Lax session cookie that holds the flow. The code in the query
            # is bound to this session by state, nonce and PKCE, and is single-use.
            warnings.filterwarnings("ignore", message="response_mode='form_post' is recommended")
            return app.initiate_auth_code_flow(SIGN_IN_SCOPES, redirect_uri=redirect_uri, response_mode="query")
    except (requests.RequestException, ValueError) as error:
        raise SignInUnavailable(f"Entra ID sign-in could not start: {type(error).__name__}") from error


def finish_sign_in(flow: dict[str, Any], answer: dict[str, str]) -> NetworkIdentity:
    """Exchange the code Entra sent back for an ID token, check it, and find the person's account.

    Refuses (SSO_REFUSED, with the reason) an answer of another sign-in (state), a replayed or forged
    token (nonce, signature, issuer, audience, expiry), an account unknown here or deactivated.
    """
    try:
        claims = _checked_claims(flow, answer)
        identity = _identity_for(claims)
    except SignInRefused as refusal:
        record(
            actor=None,
            action=AuditEvent.Action.SSO_REFUSED,
            details={"reason": refusal.reason, "identifier": refusal.identifier[:150]},
        )
        raise
    return identity


def _checked_claims(flow: dict[str, Any], answer: dict[str, str]) -> dict[str, Any]:
    if not flow:
        raise SignInRefused("no_sign_in_started")
    if answer.get("error"):
        raise SignInRefused(f"provider:{answer['error'][:60]}")
    app, configuration, session = _client()
    try:
        result = app.acquire_token_by_auth_code_flow(flow, answer)
    except ValueError as error:  # msal: the state does not match the flow we started
        raise SignInRefused("state_mismatch") from error
    except RuntimeError as error:  # msal: the ID token's nonce is not ours
        raise SignInRefused("nonce_mismatch") from error
    except requests.RequestException as error:
        raise SignInUnavailable(f"Entra ID token endpoint: {type(error).__name__}") from error
    if "id_token" not in result:
        raise SignInRefused(f"token_error:{str(result.get('error', 'no_id_token'))[:60]}")
    try:
        keys = session.get(configuration["jwks_uri"], timeout=TIMEOUT_SECONDS)
        keys.raise_for_status()
        key_set = jwt.PyJWKSet.from_dict(keys.json())
        kid = jwt.get_unverified_header(result["id_token"]).get("kid")
        key = next((candidate for candidate in key_set.keys if candidate.key_id == kid), None)
        if key is None:
            raise SignInRefused("unknown_signing_key")
        return jwt.decode(
            result["id_token"],
            key=key,
            algorithms=["RS256"],
            audience=settings.ENTRA_CLIENT_ID,
            issuer=configuration["issuer"],
            leeway=CLOCK_SKEW_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud", "sub"]},
        )
    except jwt.PyJWKSetError as error:
        raise SignInUnavailable(f"Entra ID keys: {type(error).__name__}") from error
    except (requests.RequestException, KeyError, ValueError) as error:
        raise SignInUnavailable(f"Entra ID keys: {type(error).__name__}") from error
    except jwt.PyJWTError as error:
        raise SignInRefused(f"invalid_id_token:{type(error).__name__}") from error


def _identity_for(claims: dict[str, Any]) -> NetworkIdentity:
    # The address Entra vouches for, matched with the account's email whatever its case.
    identifiers = [value for value in (claims.get("email"), claims.get("preferred_username")) if value]
    if not identifiers:
        raise SignInRefused("no_identifier")
    matches = Q()
    for identifier in identifiers:
        matches |= Q(email__iexact=identifier)
    users = list(User.objects.filter(matches)[:2])
    if not users:
        raise SignInRefused("unknown_account", identifier=identifiers[0])
    if len(users) > 1:
        raise SignInRefused("ambiguous_account", identifier=identifiers[0])
    user = users[0]
    if not user.is_active:
        raise SignInRefused("inactive_account", identifier=identifiers[0])
    methods = claims.get("amr") or []
    return NetworkIdentity(user=user, multifactor="mfa" in methods or settings.ENTRA_TENANT_ENFORCES_MFA)
