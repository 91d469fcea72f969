"""The platform: what every project keeps when it replaces the demo (core/).

Environment and add-on helpers the settings read, the connection budget, the
memcached backend, /health/, the 503 and deadline middleware, the start-up
refusal, error reporting, the scheduler's lock, the local broker, the release
command, and the heartbeat and cleanup jobs. It never imports the demo, and
loads nothing from Django here: the settings import its helpers before Django
is set up.
"""
