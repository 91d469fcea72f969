"""The platform's periodic jobs, by the names config/schedule.py gives them and
the jobs and /health/ use to find their runs."""

HEARTBEAT = "heartbeat"
DAILY_CLEANUP = "daily-cleanup"
SEND_WAITING_MAIL = "send-waiting-mail"
