"""The broker comes from Heroku Key-Value Store's REDIS_URL, TLS included."""

import ssl


def test_redis_url_is_the_broker(load_settings):
    base = load_settings("base", REDIS_URL="redis://:p@redis.example.com:6379")

    assert base.CELERY_BROKER_URL == "redis://:p@redis.example.com:6379"
    assert base.CELERY_BROKER_USE_SSL is None


def test_rediss_url_uses_tls_without_verifying_herokus_self_signed_certificate(load_settings):
    base = load_settings("base", REDIS_URL="rediss://:p@redis.example.com:6380")

    assert base.CELERY_BROKER_USE_SSL == {"ssl_cert_reqs": ssl.CERT_NONE}
