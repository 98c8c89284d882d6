"""pytest fixtures that start a fake provider and point the portal's settings at it.

Import them where they are needed, e.g. in tests/conftest.py:

    from tests.fakes.fixtures import graph_fake, zoom_fake  # noqa: F401
"""

from collections.abc import Iterator

import pytest

from virtualcare.providers import teams, zoom

from .fax import FaxGateway
from .graph import GraphFake
from .zoom import ZoomFake

# Long enough for any honest answer from a local fake, short enough that a hung one fails fast.
FAKE_PROVIDER_TIMEOUT_SECONDS = 5.0


@pytest.fixture
def graph_fake(settings) -> Iterator[GraphFake]:
    """A running fake Entra ID + Graph, with GRAPH_* settings pointing at it and msal's cache empty."""
    fake = GraphFake().start()
    try:
        for name, value in fake.environment().items():
            setattr(settings, name, value)
        settings.PROVIDER_TIMEOUT_SECONDS = FAKE_PROVIDER_TIMEOUT_SECONDS
        # msal replays a throttled token answer for its Retry-After; each test starts clean.
        teams.reset_token_cache()
        yield fake
    finally:
        fake.stop()
        teams.reset_token_cache()


@pytest.fixture
def zoom_fake(settings) -> Iterator[ZoomFake]:
    """A running fake Zoom, with ZOOM_* settings pointing at it and no cached token."""
    fake = ZoomFake().start()
    try:
        for name, value in fake.environment().items():
            setattr(settings, name, value)
        settings.PROVIDER_TIMEOUT_SECONDS = FAKE_PROVIDER_TIMEOUT_SECONDS
        zoom.reset_token_cache()
        yield fake
    finally:
        fake.stop()
        zoom.reset_token_cache()


@pytest.fixture
def fax_gateway(settings) -> Iterator[FaxGateway]:
    """A running fake email-to-fax gateway, with FAX_EMAIL_* settings pointing at it."""
    gateway = FaxGateway().start()
    try:
        for name, value in gateway.environment().items():
            setattr(settings, name, value)
        yield gateway
    finally:
        gateway.stop()
