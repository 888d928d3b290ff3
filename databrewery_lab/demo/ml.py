"""ML backends and their jobs, model-provider connections, prompts (model interfaces).

Each labelled project with predictions has one ML backend on localhost whose two
model versions (v1, v2) produced the predictions written with the tasks; the
ticket-summary project gets its predictions from an LLM prompt instead (a model
interface whose model runs are written with the tasks). Provider API keys are
the fixed fakes of :mod:`fake_credentials`.
"""

from __future__ import annotations

import json
from datetime import timedelta

from databrewery_lab.demo import fake_credentials as fake
from databrewery_lab.demo.annotations import LLM_MODEL_VERSION, V2_DAY
from databrewery_lab.demo.copy import columns
from databrewery_lab.demo.rng import WINDOW_START, hex_string, iso, streams
from databrewery_lab.demo.state import Demo

BACKEND_PORT = 9090


def write_ml(demo: Demo) -> None:
    """ml_mlbackend (+ prediction/train jobs), provider connections, model interfaces."""
    rnd, _ = streams(demo.seed, "ml")
    w = demo.writer
    backends, pjobs, tjobs = [], [], []
    v2_at = WINDOW_START + timedelta(days=V2_DAY)
    for p in demo.projects:
        if not p.spec.backend:
            continue
        bid = demo.next_id("ml_mlbackend")
        p.ml_backend_id = bid
        v1, v2 = p.spec.model_versions
        made = p.created_at + timedelta(hours=2)
        state = "CO" if p.spec.org == 0 else "DI"
        backends.append(
            (
                bid,
                f"http://127.0.0.1:{BACKEND_PORT + bid - 1}",
                p.spec.key + "-backend",
                p.spec.backend,
                f"Serves {v1} and {v2} for {p.spec.title}.",
                v2,
                False,
                iso(made),
                iso(v2_at + timedelta(hours=1)),
                100.0,
                state,
                None if state == "CO" else "Connection refused (backend stopped)",
                None,
                True,
                p.id,
                json.dumps({"model_dir": f"/models/{p.spec.key}", "batch_size": 32}),
                "NONE",
            )
        )
        for version, at in ((v1, p.batches[0].created_at), (v2, v2_at)):
            pjobs.append(
                (
                    demo.next_id("ml_mlbackendpredictionjob"),
                    f"job-{hex_string(rnd, 6)}",
                    version,
                    iso(at),
                    None,
                    None,
                    bid,
                )
            )
        tjobs.append(
            (
                demo.next_id("ml_mlbackendtrainjob"),
                f"train-{hex_string(rnd, 6)}",
                iso(v2_at - timedelta(days=2)),
                None,
                None,
                bid,
            )
        )
        if p.spec.key == "ner":  # a training run that ran out of memory
            tjobs.append(
                (
                    demo.next_id("ml_mlbackendtrainjob"),
                    f"train-{hex_string(rnd, 6)}",
                    iso(v2_at - timedelta(days=4)),
                    "CUDA out of memory (demo)",
                    "Traceback (most recent call last):\n  ...\nRuntimeError: CUDA out of memory",
                    bid,
                )
            )
            pjobs.append(
                (
                    demo.next_id("ml_mlbackendpredictionjob"),
                    f"job-{hex_string(rnd, 6)}",
                    v2,
                    iso(v2_at - timedelta(hours=3)),
                    "Model not loaded yet",
                    "Traceback (most recent call last):\n  ...\nValueError: Model not loaded yet",
                    bid,
                )
            )
    w.copy(
        "ml_mlbackend",
        columns(
            "id url name title description model_version is_interactive created_at updated_at "
            "timeout state error_message traceback auto_update project_id setup_args auth_method"
        ),
        backends,
    )
    w.copy(
        "ml_mlbackendpredictionjob",
        columns("id job_id model_version created_at error_message traceback ml_backend_id"),
        pjobs,
    )
    w.copy(
        "ml_mlbackendtrainjob",
        columns("id job_id created_at error_message traceback ml_backend_id"),
        tjobs,
    )
    _write_prompts(demo)


def _write_prompts(demo: Demo) -> None:
    by_key = {p.spec.key: p for p in demo.projects}
    summary, topics, pilot = by_key["summary"], by_key["topics"], by_key["pilot"]
    main, second = demo.orgs
    made = summary.created_at + timedelta(hours=3)
    connections = [
        (
            1,
            "OpenAI",
            fake.provider_api_key(0),
            iso(made),
            iso(made + timedelta(days=20)),
            main.id,
            summary.id,
            True,
        ),
        (
            2,
            "AzureOpenAI",
            fake.provider_api_key(1),
            iso(main.created_at + timedelta(days=90)),
            iso(main.created_at + timedelta(days=95)),
            main.id,
            None,
            False,
        ),
        (
            3,
            "Anthropic",
            fake.provider_api_key(2),
            iso(pilot.created_at),
            iso(pilot.created_at + timedelta(days=1)),
            second.id,
            None,
            True,
        ),
    ]
    demo.ids("ml_model_providers_modelproviderconnection", len(connections))
    demo.writer.copy(
        "ml_model_providers_modelproviderconnection",
        columns("id provider api_key created_at updated_at organization_id project_id is_active"),
        connections,
    )
    prompt = "Summarise the support ticket in one sentence and rate its urgency from 1 to 5."
    versions = [
        (
            1,
            "OpenAI",
            "gpt-4o-mini",
            LLM_MODEL_VERSION,
            True,
            iso(made),
            iso(made),
            1,
            main.id,
            summary.id,
            json.dumps({"temperature": 0.2, "max_tokens": 120, "prompt": prompt}),
        ),
        (
            2,
            "OpenAI",
            "gpt-4o",
            "prompt-summary-v0",
            False,
            iso(made - timedelta(days=3)),
            iso(made),
            1,
            main.id,
            summary.id,
            json.dumps({"temperature": 0.7, "max_tokens": 200, "prompt": prompt}),
        ),
        (
            3,
            "Anthropic",
            "claude-3-5-haiku",
            "pilot-prompt-v1",
            True,
            iso(pilot.created_at),
            iso(pilot.created_at),
            3,
            second.id,
            pilot.id,
            json.dumps(
                {
                    "temperature": 0.0,
                    "max_tokens": 60,
                    "prompt": "Is this review positive, negative or neutral?",
                }
            ),
        ),
    ]
    demo.ids("ml_models_thirdpartymodelversion", len(versions))
    demo.writer.copy(
        "ml_models_thirdpartymodelversion",
        columns(
            "id provider model_name model_version is_default created_at updated_at connection_id "
            "organization_id project_id model_metadata"
        ),
        versions,
    )
    interfaces = [
        (1, iso(made), iso(made + timedelta(days=2)), main.id, summary.id),
        (2, iso(pilot.created_at), iso(pilot.created_at), second.id, pilot.id),
    ]
    demo.ids("ml_models_modelinterface", len(interfaces))
    summary.model_interface_id = 1
    demo.writer.copy(
        "ml_models_modelinterface",
        ("id", "created_at", "updated_at", "organization_id", "project_id"),
        interfaces,
    )
    associated = [(1, summary.id), (1, topics.id), (2, pilot.id)]
    demo.writer.copy(
        "ml_models_modelinterface_associated_projects",
        ("id", "modelinterface_id", "project_id"),
        [
            (demo.next_id("ml_models_modelinterface_associated_projects"), mi, pid)
            for mi, pid in associated
        ],
    )
