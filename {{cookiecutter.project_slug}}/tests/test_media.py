"""Where uploaded files go (groundwork/addons.py), and production's refusal to keep
them on the dyno's disk (groundwork/checks.py). The template's tests store and
link files through a real S3-compatible server."""

import pytest
from django.core import checks
from django.db import models

from groundwork import checks as groundwork_checks


class Upload(models.Model):
    """A model that stores files, as a site's first upload form brings."""

    document = models.FileField()

    class Meta:
        app_label = "groundwork"
        managed = False

    def __str__(self) -> str:
        return self.document.name


def test_without_a_bucket_files_go_to_the_local_disk(load_settings):
    loaded = load_settings("local")

    assert loaded.STORAGES["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert loaded.MEDIA_ROOT.endswith("media")


def test_an_aws_bucket_keeps_files_private_and_signs_their_links(load_settings):
    loaded = load_settings(
        "prod",
        AWS_STORAGE_BUCKET_NAME="site-uploads",
        AWS_ACCESS_KEY_ID="AKIAEXAMPLE",
        AWS_SECRET_ACCESS_KEY="secret",
        AWS_S3_REGION_NAME="eu-west-1",
    )
    storage = loaded.STORAGES["default"]

    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"] == {
        "bucket_name": "site-uploads", "access_key": "AKIAEXAMPLE", "secret_key": "secret",
        "region_name": "eu-west-1", "default_acl": None, "querystring_auth": True,
        "querystring_expire": 3600, "signature_version": "s3v4", "file_overwrite": False,
    }  # fmt: skip
    assert loaded.STORAGES["staticfiles"]["BACKEND"].endswith("ManifestStaticFilesStorage")


def test_bucketeers_variables_name_the_bucket_when_aws_ones_are_unset(load_settings):
    options = load_settings(
        "prod",
        BUCKETEER_BUCKET_NAME="bucketeer-1234",
        BUCKETEER_AWS_ACCESS_KEY_ID="AKIABUCKETEER",
        BUCKETEER_AWS_SECRET_ACCESS_KEY="bucketeer-secret",
        BUCKETEER_AWS_REGION="us-east-1",
    ).STORAGES["default"]["OPTIONS"]

    assert (options["bucket_name"], options["access_key"]) == ("bucketeer-1234", "AKIABUCKETEER")
    assert (options["secret_key"], options["region_name"]) == ("bucketeer-secret", "us-east-1")


def test_another_s3_compatible_store_is_reached_by_path(load_settings):
    options = load_settings(
        "prod", AWS_STORAGE_BUCKET_NAME="b", AWS_S3_ENDPOINT_URL="https://s3.example.net"
    ).STORAGES["default"]["OPTIONS"]

    assert options["endpoint_url"] == "https://s3.example.net"
    assert options["addressing_style"] == "path"


@pytest.fixture
def models_with_files(monkeypatch):
    monkeypatch.setattr(groundwork_checks.apps, "get_models", lambda: [Upload])


def test_production_refuses_files_on_the_dynos_disk_naming_the_field(settings, models_with_files):
    settings.PRODUCTION = True
    settings.STORAGES = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}

    [error] = groundwork_checks.uploads_on_the_dynos_disk()

    assert error.level == checks.ERROR
    assert "groundwork.Upload.document stores uploaded files on the dyno's disk" in error.msg
    assert "AWS_STORAGE_BUCKET_NAME" in error.hint
    assert "bucketeer" in error.hint


def test_a_bucket_or_a_machine_of_your_own_is_no_problem(settings, models_with_files):
    settings.PRODUCTION = True
    settings.STORAGES = {"default": {"BACKEND": "storages.backends.s3.S3Storage"}}
    assert groundwork_checks.uploads_on_the_dynos_disk() == []

    settings.PRODUCTION = False
    settings.STORAGES = {"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    assert groundwork_checks.uploads_on_the_dynos_disk() == []


def test_the_project_as_shipped_starts_in_production_with_no_bucket():
    shipped = [model for model in groundwork_checks.apps.get_models() if model is not Upload]

    assert groundwork_checks.file_fields(shipped) == []
