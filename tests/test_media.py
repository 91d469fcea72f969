"""Uploaded files in production, on a real S3-compatible server (moto's server mode,
as the Bucketeer add-on or AWS would serve them): a file one process stores,
another process (a later dyno, after a restart) finds and links with a signed URL
that a browser can follow; and a release refuses a model that would keep its files
on the dyno's disk, naming the field and the variables to set."""

import re
import subprocess
import urllib.request
from pathlib import Path

import pytest

from . import heroku, servers
from .helpers import generate_project
from .template import procfile

pytestmark = pytest.mark.servers

STORE = (
    "from django.core.files.base import ContentFile;"
    "from django.core.files.storage import default_storage as storage;"
    "print(storage.save('notes/hello.txt', ContentFile(b'kept across restarts')))"
)
LINK = (
    "import os; from django.core.files.storage import default_storage as storage;"
    "print(storage.url(os.environ['STORED_NAME']))"
)
# The config vars of an app whose one-off commands need no running database.
APP_CONFIG = {
    "DJANGO_SETTINGS_MODULE": "config.settings.prod",
    "SECRET_KEY": "s" * 60,
    "ALLOWED_HOSTS": "127.0.0.1",
    "DATABASE_URL": "postgres://u:p@127.0.0.1:9/site",
    "CELERY_BROKER_URL": "redis://127.0.0.1:9/0",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, production_venv: Path) -> Path:
    built = generate_project(tmp_path_factory.mktemp("media"))
    heroku.build(built, production_venv)
    return built


def python_in(project: Path, venv: Path, config: dict[str, str], code: str) -> str:
    """`heroku run python manage.py shell -c CODE`: a new process each time; the
    last line it printed."""
    command = ["python", "manage.py", "shell", "-c", code]
    return heroku.one_off(project, venv, config, command).strip().splitlines()[-1]


def test_a_stored_file_outlives_its_process_and_its_signed_link_works(project, production_venv):
    with servers.s3() as bucket:
        config = {**APP_CONFIG, **bucket.env}
        first = python_in(project, production_venv, config, STORE)
        second = python_in(project, production_venv, config, STORE)
        link = python_in(project, production_venv, {**config, "STORED_NAME": first}, LINK)

        with urllib.request.urlopen(link, timeout=10) as response:
            body = response.read()

    assert first == "notes/hello.txt"
    assert second != first, "a second upload of the same name replaced the first"
    assert body == b"kept across restarts"
    assert re.search(r"[?&]X-Amz-Signature=[0-9a-f]{64}", link), link
    assert "X-Amz-Expires=3600" in link
    assert not (project / "media").exists(), "a file landed on the dyno's disk"


UPLOAD_MODEL = """


class Upload(models.Model):
    document = models.FileField()
"""


def test_a_release_refuses_files_on_the_dynos_disk_and_passes_with_a_bucket(
    project: Path, production_venv: Path, tmp_path: Path
):
    with_files = tmp_path / project.name
    subprocess.run(["cp", "-a", str(project), str(with_files)], check=True)
    models_file = with_files / "core" / "models.py"
    models_file.write_text(models_file.read_text() + UPLOAD_MODEL)
    release = heroku.dyno_environment(production_venv, with_files)
    # The release phase's command; then `check` as it would run with a bucket set.

    refused = subprocess.run(
        ["bash", "-c", procfile(with_files)["release"]], cwd=with_files,
        env={**release, **APP_CONFIG}, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    bucket = {"AWS_STORAGE_BUCKET_NAME": "b", "AWS_ACCESS_KEY_ID": "k"}
    passed = subprocess.run(
        ["python", "manage.py", "check"], cwd=with_files, env={**release, **APP_CONFIG, **bucket},
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip

    assert refused.returncode != 0
    assert "core.Upload.document stores uploaded files on the dyno's disk" in refused.stderr
    assert "AWS_STORAGE_BUCKET_NAME" in refused.stderr
    assert passed.returncode == 0, passed.stderr
