"""The broker comes from CloudAMQP's CLOUDAMQP_URL, or RABBITMQ_URL."""

import ssl


def test_cloudamqp_url_is_the_broker(load_settings):
    base = load_settings("base", CLOUDAMQP_URL="amqps://u:p@rabbit.example.com/vhost")

    assert base.CELERY_BROKER_URL == "amqps://u:p@rabbit.example.com/vhost"


def test_rabbitmq_url_is_the_fallback(load_settings):
    base = load_settings("base", RABBITMQ_URL="amqp://u:p@127.0.0.1:5672//")

    assert base.CELERY_BROKER_URL == "amqp://u:p@127.0.0.1:5672//"


def test_cloudamqp_url_wins_over_rabbitmq_url(load_settings):
    base = load_settings("base", CLOUDAMQP_URL="amqp://a//", RABBITMQ_URL="amqp://b//")

    assert base.CELERY_BROKER_URL == "amqp://a//"


def test_amqps_verifies_the_certificate_and_the_host_name(load_settings):
    base = load_settings("base", CLOUDAMQP_URL="amqps://u:p@rabbit.example.com/vhost")

    # server_hostname None: kombu puts the URL's host there, enabling the name check.
    assert base.CELERY_BROKER_USE_SSL == {"cert_reqs": ssl.CERT_REQUIRED, "server_hostname": None}


def test_plain_amqp_has_no_tls_options(load_settings):
    base = load_settings("base", RABBITMQ_URL="amqp://u:p@127.0.0.1:5672//")

    assert base.CELERY_BROKER_USE_SSL is None
