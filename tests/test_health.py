import json
import urllib.request

import pytest


@pytest.mark.django_db(transaction=True)
def test_the_health_endpoint_reports_the_database_and_storage(live_server):
    # Through a live server: the view is asynchronous, and the browser tests leave an event loop in
    # this thread that the test client's sync bridge refuses to share.
    request = urllib.request.Request(live_server.url + "/health/", headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        status, checks = response.status, json.loads(response.read())

    assert status == 200
    assert set(checks.values()) == {"OK"}
    assert any(name.startswith("Database") for name in checks)


@pytest.mark.django_db(transaction=True)
def test_a_person_opening_the_health_page_in_a_browser_reads_it(live_server):
    request = urllib.request.Request(live_server.url + "/health/", headers={"Accept": "text/html"})
    with urllib.request.urlopen(request, timeout=10) as response:
        status, page = response.status, response.read().decode()

    assert status == 200
    assert "Database" in page


def test_every_page_carries_a_content_security_policy_without_inline_scripts(client, db):
    response = client.get("/connexion/")

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
