"""The demo organization: a coherent, deterministic Databrewery database to play with.

``build_demo(conninfo, scale=1.0, seed=0)`` fills an empty database (schema applied,
no rows) with two organizations, ~30 users, six projects of different kinds (text
classification, NER, bounding boxes, summaries with ratings, multi-label topics),
about ``10,000 * scale`` annotations with realistic disagreement, predictions from
two model versions, reviews, comments, storages, exports, billing and the rest:
every one of the 96 tables gets rows, and every counter agrees with the rows it
counts. The build is one transaction: on any error (or Ctrl-C) nothing is written.

Fake secrets
------------
Every credential-like value the demo writes is fake and easy to spot: password
hashes, API tokens (``authtoken_token.key``), magic-link tokens, organization
invite tokens, bank details (account number, IFSC, UPI id, PAN), storage
credentials (AWS keys and session tokens, GCS service-account JSON, Azure account
keys, Redis passwords), model-provider API keys and webhook auth headers. Each
contains ``FAKE`` (most also ``demo-not-a-secret``) and they do not depend on seed
or scale. :func:`fake_secrets` returns all of them, so tests can check that no
DataFrame, repr, log or export leaks one.
"""

from __future__ import annotations

from databrewery_lab.demo.build import DemoReport, build_demo
from databrewery_lab.demo.fake_credentials import fake_secrets

__all__ = ["DemoReport", "build_demo", "fake_secrets"]
