"""DSN parsing, masking and error wording — no server needed."""

from __future__ import annotations

import pytest

from databrewery_lab import dsn
from databrewery_lab.errors import ConnectionFailed


def test_urls_and_keyword_strings_normalise_to_conninfo_with_a_timeout() -> None:
    for given in (
        "postgresql://u:pw@db.example:6543/brew",
        "postgres://u:pw@db.example:6543/brew",
        "postgresql+psycopg://u:pw@db.example:6543/brew",
        "host=db.example port=6543 user=u password=pw dbname=brew",
    ):
        conninfo = dsn.normalise(given)
        assert "dbname=brew" in conninfo
        assert "connect_timeout=10" in conninfo
        assert dsn.describe(conninfo) == "database 'brew' on db.example:6543"


def test_masked_hides_the_password() -> None:
    conninfo = dsn.normalise("postgresql://u:s3cret@h/d")
    assert "s3cret" not in dsn.masked(conninfo)
    assert "***" in dsn.masked(conninfo)


def test_an_unparseable_dsn_is_named_without_its_password() -> None:
    with pytest.raises(ConnectionFailed, match="is not a valid PostgreSQL DSN") as caught:
        dsn.normalise("host=h password=s3cret dbname")
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize(
    ("libpq_message", "expected"),
    [
        (
            'FATAL:  password authentication failed for user "bob"',
            "wrong credentials for user 'bob'",
        ),
        ('FATAL:  database "nope" does not exist', "database 'nope' does not exist"),
        ('FATAL:  role "ghost" does not exist', "user (role) 'ghost' does not exist"),
        ('connection to server at "127.0.0.1", port 1 failed: Connection refused', "refused"),
        (
            'could not translate host name "nohost.invalid" to address',
            "unknown host 'nohost.invalid'",
        ),
    ],
)
def test_libpq_errors_become_short_causes(libpq_message: str, expected: str) -> None:
    assert expected in dsn.explain(Exception(libpq_message))
