"""Every credential-like value the demo writes: fixed, obviously fake, greppable.

The set does not depend on ``seed`` or ``scale`` (it is written in full by every
build), so :func:`fake_secrets` can be a constant that a test greps DataFrames,
reprs and exports for. Each value contains ``FAKE`` and most also
``demo-not-a-secret``; none is a working key anywhere.
"""

from __future__ import annotations

from functools import cache

MARK = "demo-not-a-secret"

#: Users 0..N-1 of the main organization own an API token (authtoken_token).
N_API_TOKENS = 12
#: Magic-link tokens, handed out to the first few users (some hold two).
N_MAGIC_LINKS = 6
#: Annotators paid through bank transfer (users_userbankdetails).
N_BANK_ACCOUNTS = 8
#: Distinct fake password hashes, assigned to users cyclically.
N_PASSWORD_HASHES = 8


def password_hash(i: int) -> str:
    """A Django-style PBKDF2 hash string that verifies nothing."""
    return f"pbkdf2_sha256$870000$FAKEsalt{i:04d}${MARK}-password-hash-{i:04d}="


def api_token(i: int) -> str:
    """A 40-character DRF token key (authtoken_token.key)."""
    return f"FAKEdemotoken{i:04d}notasecret".ljust(40, "0")


def magic_link_token(i: int) -> str:
    return f"FAKE-magic-link-{i:04d}-{MARK}"


def bank_details(i: int) -> dict[str, str]:
    """Every users_userbankdetails field of paid annotator ``i`` that is personal finance data."""
    return {
        "account_holder_name": f"FAKE Holder {i:02d} ({MARK})",
        "bank_name": "FAKE Demo Bank of Nowhere",
        "account_number": f"FAKE{i:04d}00000000",
        "ifsc_code": f"FAKE0DEMO{i:02d}",
        "branch_name": f"FAKE Branch {i:02d}",
        "upi_id": f"fake.annotator{i:02d}@{MARK}",
        "pancard_number": f"FAKED{i:04d}Z",
        "address": f"FAKE {i + 1} Example Street, Pune 411001 ({MARK})",
    }


def invitation_token(i: int) -> str:
    """``users_invitation.uuid``: an invite link's bearer token (whoever has it can join)."""
    return f"FAKE-invite-{i:02d}-{MARK}"


def invitation_link(i: int) -> str:
    """The signup link a user-group membership was created from (embeds an invite token)."""
    return f"http://localhost:8080/user/signup/?invite={invitation_token(i)}"


def organization_token(i: int) -> str:
    """Organization invite token (``organization.token``): invite links carry it."""
    return f"FAKE-org-invite-{i}-{MARK}"


def aws_credentials(direction: str) -> dict[str, str]:
    tag = direction.upper()
    return {
        "aws_access_key_id": f"AKIAFAKEDEMO{tag}0001",
        "aws_secret_access_key": f"FAKE-aws-secret-{direction}-{MARK}",
        "aws_session_token": f"FAKE-aws-session-token-{direction}-{MARK}",
    }


def gcs_private_key(which: str) -> str:
    return f"FAKE-gcs-private-key-{which}-{MARK}"


def gcs_credentials(which: str) -> str:
    """A service-account JSON document whose key is a placeholder."""
    return (
        '{"type": "service_account", "project_id": "databrewery-demo", '
        f'"private_key_id": "FAKE-gcs-key-id-{which}", '
        f'"private_key": "{gcs_private_key(which)}", '
        '"client_email": "demo-sa@databrewery-demo.iam.gserviceaccount.example", '
        '"token_uri": "https://oauth2.example.invalid/token"}'
    )


def azure_account_name(which: str) -> str:
    """Azure storage account names count as secret too (Label Studio hides them)."""
    return f"fakedemo{which}acct"


def azure_account_key(which: str) -> str:
    return f"FAKEazure{which}Key{MARK.replace('-', '')}=="


def redis_password(which: str) -> str:
    return f"FAKE-redis-password-{which}-{MARK}"


def provider_api_key(i: int) -> str:
    return f"sk-FAKE-provider-key-{i:02d}-{MARK}"


def webhook_token(i: int) -> str:
    return f"FAKE-webhook-token-{i:02d}-{MARK}"


STORAGE_SLOTS = ("import", "export", "mixin")
N_PROVIDER_KEYS = 3
N_WEBHOOK_TOKENS = 2
N_ORGANIZATIONS = 2
N_INVITATIONS = 8  # users_invitation rows: 6 for the main organization, 2 for the pilot
#: Invitations whose links user-group memberships were made from (one per team).
TEAM_INVITATIONS = (0, 1, 3, 4, 6)  # four main-org teams, then the pilot crew


@cache
def _all() -> frozenset[str]:
    values: set[str] = set()
    values.update(password_hash(i) for i in range(N_PASSWORD_HASHES))
    values.update(api_token(i) for i in range(N_API_TOKENS))
    values.update(magic_link_token(i) for i in range(N_MAGIC_LINKS))
    for i in range(N_BANK_ACCOUNTS):
        values.update(bank_details(i).values())
    values.update(organization_token(i) for i in range(N_ORGANIZATIONS))
    values.update(invitation_token(i) for i in range(N_INVITATIONS))
    values.update(invitation_link(i) for i in TEAM_INVITATIONS)
    for slot in ("import", "export"):
        values.update(aws_credentials(slot).values())
    for slot in STORAGE_SLOTS:
        values.add(gcs_credentials(slot))
        values.add(gcs_private_key(slot))
        values.add(azure_account_key(slot))
        values.add(azure_account_name(slot))
        values.add(redis_password(slot))
    values.update(provider_api_key(i) for i in range(N_PROVIDER_KEYS))
    values.update(webhook_token(i) for i in range(N_WEBHOOK_TOKENS))
    return frozenset(values)


def fake_secrets() -> frozenset[str]:
    """Every fake credential, bank detail, token and hash value the demo writes."""
    return _all()
