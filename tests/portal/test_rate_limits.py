"""The public registration page is rate-limited per client address (portal.ratelimit)."""

import pytest
from django.core.cache import cache

from portal import ratelimit

ADDRESS = "198.51.100.23"  # an address no other test uses: counters are shared


@pytest.fixture
def one_per_hour(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "register": "2/h"}
    cache.delete(f"ratelimit:register:{ADDRESS}")
    yield
    cache.delete(f"ratelimit:register:{ADDRESS}")


def test_registration_posts_beyond_the_limit_are_refused(client, one_per_hour, db):
    answers = [
        client.post("/accounts/register/", {}, REMOTE_ADDR=ADDRESS).status_code for _ in range(3)
    ]
    assert answers[:2] == [200, 200]  # the form comes back with its errors
    assert answers[2] == 429
    # Reading the form is not limited, and another address is not affected.
    assert client.get("/accounts/register/", REMOTE_ADDR=ADDRESS).status_code == 200
    assert client.post("/accounts/register/", {}, REMOTE_ADDR="198.51.100.24").status_code == 200


def test_refusal_page_says_why(client, one_per_hour, db):
    for _ in range(2):
        client.post("/accounts/register/", {}, REMOTE_ADDR=ADDRESS)
    response = client.post("/accounts/register/", {}, REMOTE_ADDR=ADDRESS)
    assert "请求过于频繁" in response.content.decode()


def test_a_cache_outage_lets_requests_through(monkeypatch, settings):
    def down(*args, **kwargs):
        raise ConnectionError("redis down")

    monkeypatch.setattr(ratelimit.cache, "add", down)
    assert ratelimit.hit("register", ADDRESS) is True


@pytest.mark.parametrize("rate", ["", "0/m", "5/d", "x/m", "5"])
def test_bad_rates_are_refused(rate):
    with pytest.raises(ValueError):
        ratelimit.parse_rate(rate)
