"""Money: currencies, pay rates, data-production orders, invoices, embedding billing.

Written after the tasks, so order sizes and embedding counts follow the generated
work: a data production's ``total_annotations`` is its project's submitted
annotations; embedding counts are the tasks each workspace received per month.
Amounts are ``Decimal`` strings, each in the currency its row names.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal

from databrewery_lab.demo.copy import columns
from databrewery_lab.demo.rng import ANCHOR, WINDOW_START, hex_string, iso, streams
from databrewery_lab.demo.state import Demo

CURRENCIES = (
    ("USD", "US Dollar"),
    ("EUR", "Euro"),
    ("INR", "Indian Rupee"),
    ("GBP", "Pound Sterling"),
)
#: (org, amount per annotation, currency, months before the anchor the rate started)
PAYMENT_RATES = (
    (0, "0.0800", "USD", 7),
    (0, "6.5000", "INR", 5),
    (0, "0.0850", "USD", 3),
    (1, "0.0700", "EUR", 2),
    (1, "0.0600", "GBP", 1),
)
EMBEDDING_PRICE = Decimal("0.0004")  # USD per embedded task
CENT = Decimal("0.01")


def _month_starts(first: datetime) -> list[datetime]:
    months = []
    cur = first.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    while cur < ANCHOR:
        months.append(cur)
        cur = (cur + timedelta(days=32)).replace(day=1)
    return months


def write_billing(demo: Demo) -> None:
    """workflow_helpers_*, orders_order, payment_rate, workspace embedding billing."""
    w = demo.writer
    currency_ids = {code: i for i, (code, _) in enumerate(CURRENCIES, start=1)}
    demo.ids("workflow_helpers_currency", len(CURRENCIES))
    w.copy(
        "workflow_helpers_currency",
        ("id", "code", "name"),
        [
            (i, code, name)
            for (code, name), i in zip(CURRENCIES, currency_ids.values(), strict=True)
        ],
    )
    w.copy(
        "payment_rate",
        ("id", "amount", "currency", "created_at", "organization_id"),
        [
            (
                demo.next_id("payment_rate"),
                amount,
                currency,
                iso(ANCHOR - timedelta(days=30 * months)),
                demo.orgs[org].id,
            )
            for org, amount, currency, months in PAYMENT_RATES
        ],
    )
    _write_orders(demo, currency_ids)
    _write_invoices(demo)
    _write_embeddings(demo)


def _write_orders(demo: Demo, currency_ids: dict[str, int]) -> None:
    rnd, _ = streams(demo.seed, "orders")
    w = demo.writer
    productions, orders, submissions, contracts = [], [], [], []
    kinds = {
        "sentiment": ("text", "classification"),
        "ner": ("text", "named entities"),
        "bbox": ("image", "bounding boxes"),
        "summary": ("text", "summarisation"),
        "topics": ("text", "multi-label classification"),
    }
    for p in demo.projects:
        data_type, annotation_type = kinds[p.spec.kind]
        made = p.created_at - timedelta(days=6)
        total = p.counters["total_annotations_number"]
        pid = demo.next_id("workflow_helpers_dataproduction")
        productions.append(
            (
                pid,
                p.spec.kind == "bbox",
                p.n_tasks,
                "json" if p.spec.kind != "bbox" else "png",
                f"Agreement >= 0.8 on {p.spec.overlap}-way overlap; honeypot accuracy >= 90%",
                iso(made),
                iso(made + timedelta(days=2)),
                p.manager_ids[0],
                p.org_id,
                data_type,
                annotation_type,
                total,
                p.id,
            )
        )
        currency = "EUR" if p.spec.org == 1 else "USD"
        rate = Decimal("0.07") if p.spec.org == 1 else Decimal("0.085")
        # the production order for this project, and for some a rejected first quote
        plans = [("completed" if p.spec.org == 0 else "approved", total)]
        if p.spec.key in ("ner", "bbox"):
            plans.insert(0, ("rejected", total * 2))
        if p.spec.key == "summary":
            plans.append(("draft", total // 2))
        for status, volume in plans:
            oid = demo.next_id("workflow_helpers_order")
            created = made + timedelta(days=1 + len(orders) % 3)
            submitted = status != "draft"
            approved = created + timedelta(days=2) if status in ("approved", "completed") else None
            rejected = created + timedelta(days=3) if status == "rejected" else None
            completed = (
                ANCHOR - timedelta(days=rnd.randint(1, 6)) if status == "completed" else None
            )
            orders.append(
                (
                    oid,
                    p.spec.title,
                    status,
                    iso(created),
                    iso(completed or approved or created),
                    p.manager_ids[0],
                    p.org_id,
                    str((rate * volume).quantize(CENT)),
                    currency_ids[currency],
                    pid,
                    rnd.choice(("2 weeks", "4 weeks", "8 weeks")),
                    annotation_type,
                    rnd.choice(("low", "medium", "high")),
                    "Demo order; volumes follow the generated project.",
                    submitted,
                    iso(approved) if approved else None,
                    iso(rejected) if rejected else None,
                    iso(completed) if completed else None,
                )
            )
            if submitted:
                answer = created + timedelta(days=2 if approved else 3)
                submissions.append(
                    (
                        demo.next_id("workflow_helpers_ordersubmission"),
                        iso(created + timedelta(hours=1)),
                        "Please start as soon as possible.",
                        iso(created),
                        iso(answer),
                        oid,
                        "Rejected: budget" if rejected else "Approved, welcome aboard.",
                        iso(answer),
                        "rejected" if rejected else "approved",
                        "Quote exceeds the quarterly budget." if rejected else None,
                        None if rejected else "Approved by the data platform lead.",
                    )
                )
            if approved:
                contracts.append(
                    (
                        demo.next_id("workflow_helpers_ordercontract"),
                        f"contracts/order-{oid:05d}.pdf",
                        iso(approved + timedelta(hours=5)),
                        iso(approved),
                        iso(approved + timedelta(hours=5)),
                        oid,
                        "Standard annotation services terms (demo). Payment net 30.",
                    )
                )
    w.copy(
        "workflow_helpers_dataproduction",
        columns(
            "id data_collection_required estimated_data_volume data_format quality_metrics "
            "created_at updated_at user_id organization_id data_type annotation_type "
            "total_annotations project_id"
        ),
        productions,
    )
    w.copy(
        "workflow_helpers_order",
        columns(
            "id project_name status created_at updated_at user_id organization_id total_cost "
            "currency_id data_production_id timeline project_type complexity additional_notes "
            "is_submitted approved_at rejected_at completed_at"
        ),
        orders,
    )
    w.copy(
        "workflow_helpers_ordersubmission",
        columns(
            "id submitted_at submission_notes created_at updated_at order_id admin_response "
            "responded_at submission_status rejection_reason approval_notes"
        ),
        submissions,
    )
    w.copy(
        "workflow_helpers_ordercontract",
        columns(
            "id contract_document signed_at created_at updated_at order_id terms_and_conditions"
        ),
        contracts,
    )


def _write_invoices(demo: Demo) -> None:
    """orders_order: a monthly invoice per organization (paid, failed, refunded, pending)."""
    rnd, _ = streams(demo.seed, "invoices")
    rows = []
    for index, org in enumerate(demo.orgs):
        volume = sum(
            p.counters["total_annotations_number"] for p in demo.projects if p.org_id == org.id
        )
        rate = Decimal("0.07") if index else Decimal("0.085")
        months = _month_starts(org.created_at + timedelta(days=20))
        for m, start in enumerate(months):
            in_window = start >= WINDOW_START.replace(day=1)
            base = Decimal(volume) * rate / 2 if in_window else Decimal(490 if index else 1200)
            amount = (base * Decimal(str(rnd.uniform(0.9, 1.1)))).quantize(CENT)
            issued = start + timedelta(days=1, hours=9)
            last = m == len(months) - 1
            statuses = ["pending"] if last else ["paid"]
            if m == 1 and index == 0:
                statuses = ["failed", "paid"]  # card declined, paid by transfer a week later
            if m == 2 and index == 0:
                statuses = ["paid", "refunded"]
            for k, status in enumerate(statuses):
                when = issued + timedelta(days=7 * k)
                method = "bank_transfer" if k else rnd.choice(("card", "card", "upi"))
                txn = f"txn_demo_{hex_string(rnd, 6)}"
                rows.append(
                    (
                        demo.next_id("orders_order"),
                        iso(when),
                        iso(when + timedelta(hours=0 if status == "pending" else 2)),
                        str(-amount if status == "refunded" else amount),
                        status,
                        org.owner_id,
                        method,
                        txn,
                        org.id,
                    )
                )
    demo.writer.copy(
        "orders_order",
        columns(
            "id created_at updated_at total_amount status user_id payment_method transaction_id "
            "organization_id"
        ),
        rows,
    )


def _write_embeddings(demo: Demo) -> None:
    """workspaces_workspacebillingembeddings: tasks embedded per workspace per month."""
    per_ws: dict[int, Counter[str]] = {ws.id: Counter() for ws in demo.workspaces}
    for p in demo.projects:
        per_ws[p.workspace_id].update(p.tasks_per_month)
    rows = []
    for ws in demo.workspaces:
        for start in _month_starts(ws.created_at):
            month = start.strftime("%Y-%m")
            count = per_ws[ws.id][month]
            if ws.key == "sandbox":
                count = 40 + 10 * start.month  # a few experiments a month
            cost = (EMBEDDING_PRICE * count).quantize(Decimal("0.0001"))
            stamp = min(start + timedelta(days=31), ANCHOR - timedelta(hours=1))
            rows.append(
                (
                    demo.next_id("workspaces_workspacebillingembeddings"),
                    iso(start),
                    iso(stamp),
                    month,
                    count,
                    str(cost),
                    ws.id,
                )
            )
    demo.writer.copy(
        "workspaces_workspacebillingembeddings",
        columns("id created_at updated_at month embeddings_count embeddings_cost workspace_id"),
        rows,
    )
