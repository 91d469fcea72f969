"""The broker comes from CloudAMQP's CLOUDAMQP_URL, or RABBITMQ_URL."""


def test_cloudamqp_url_is_the_broker(load_settings):
    base = load_settings("base", CLOUDAMQP_URL="amqps://u:p@rabbit.example.com/vhost")

    assert base.CELERY_BROKER_URL == "amqps://u:p@rabbit.example.com/vhost"


def test_rabbitmq_url_is_the_fallback(load_settings):
    base = load_settings("base", RABBITMQ_URL="amqp://u:p@127.0.0.1:5672//")

    assert base.CELERY_BROKER_URL == "amqp://u:p@127.0.0.1:5672//"


def test_cloudamqp_url_wins_over_rabbitmq_url(load_settings):
    base = load_settings("base", CLOUDAMQP_URL="amqp://a//", RABBITMQ_URL="amqp://b//")

    assert base.CELERY_BROKER_URL == "amqp://a//"
