import pytest


@pytest.mark.django_db
def test_the_health_endpoint_reports_the_database_and_storage(client):
    response = client.get("/health/", headers={"Accept": "application/json"})

    assert response.status_code == 200
    assert set(response.json().values()) == {"OK"}
    assert any(name.startswith("Database") for name in response.json())


def test_every_page_carries_a_content_security_policy_without_inline_scripts(client, db):
    response = client.get("/connexion/")

    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
