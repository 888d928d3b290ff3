"""Webhooks the organization registered (to a local receiver) and their actions."""

from __future__ import annotations

import json
from datetime import timedelta

from databrewery_lab.demo import fake_credentials as fake
from databrewery_lab.demo.copy import columns
from databrewery_lab.demo.rng import iso
from databrewery_lab.demo.state import Demo

HOOK_URL = "http://127.0.0.1:8765/hook"


def write_webhooks(demo: Demo) -> None:
    """webhook and webhook_action (Label Studio action names)."""
    sentiment = next(p for p in demo.projects if p.spec.key == "sentiment")
    pilot = next(p for p in demo.projects if p.spec.key == "pilot")
    main, second = demo.orgs
    hooks = [
        (
            1,
            HOOK_URL,
            True,
            True,
            {"Authorization": f"Token {fake.webhook_token(0)}"},
            True,
            main.created_at + timedelta(days=30),
            main.id,
            None,
            (),
        ),
        (
            2,
            f"{HOOK_URL}/sentiment",
            True,
            False,
            {"Authorization": f"Bearer {fake.webhook_token(1)}", "X-Source": "databrewery-demo"},
            True,
            sentiment.created_at + timedelta(days=2),
            main.id,
            sentiment.id,
            ("ANNOTATION_CREATED", "ANNOTATION_UPDATED", "ANNOTATIONS_DELETED", "TASKS_CREATED"),
        ),
        (
            3,
            f"{HOOK_URL}/pilot",
            False,
            False,
            {},
            False,
            pilot.created_at + timedelta(days=1),
            second.id,
            pilot.id,
            ("PROJECT_UPDATED", "ANNOTATION_CREATED"),
        ),
    ]
    demo.ids("webhook", len(hooks))
    demo.writer.copy(
        "webhook",
        columns(
            "id url send_payload send_for_all_actions headers is_active created_at updated_at "
            "organization_id project_id"
        ),
        [
            (
                hid,
                url,
                payload,
                all_actions,
                json.dumps(headers),
                active,
                iso(made),
                iso(made + timedelta(days=4)),
                org,
                project,
            )
            for hid, url, payload, all_actions, headers, active, made, org, project, _ in hooks
        ],
    )
    demo.writer.copy(
        "webhook_action",
        ("id", "action", "webhook_id"),
        [
            (demo.next_id("webhook_action"), action, hook[0])
            for hook in hooks
            for action in hook[-1]
        ],
    )
