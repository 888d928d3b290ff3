"""The bulk: tasks, predictions, annotations (and model runs, storage links), streamed.

Tasks are generated in chunks of :data:`CHUNK_TASKS`; each chunk is simulated in
memory (numpy for who works on what and when, a Python loop for result JSON) and
COPYed before the next one is made, so a million annotations never sit in memory
at once. Small per-task side tables (drafts, locks, comments, flags, label links)
are collected and written afterwards by :func:`write_side_tables`.

Simulation: every task has a hidden truth and a difficulty. Annotators are drawn
without replacement from the project's pool, weighted by how active they are
(Gumbel top-k), so nobody annotates a task twice and no task gets more submitted
annotations than the project's overlap. Each answers correctly with a chance set
by their accuracy and the task's difficulty; otherwise they make the mistakes
people make. Two model versions predict every task (v2 better), with scores that
are higher when the prediction is right; some annotations start from a prediction
and tend to keep its answer. Times follow office hours in each annotator's time zone.

Counter definitions (checked by the integration tests against count(*)):
``task.total_annotations`` = submitted (not cancelled) annotations,
``cancelled_annotations`` = skips, ``is_labeled`` = total_annotations (+ skips when the
skip queue is ``IGNORE_SKIPPED``, as in Label Studio) >= overlap,
``avg_lead_time`` = mean lead_time of submitted annotations;
``project.useful_annotation_number`` = submitted, not ground truth, non-empty result.
"""

from __future__ import annotations

import json
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from databrewery_lab.demo import images
from databrewery_lab.demo.copy import columns
from databrewery_lab.demo.kinds import (
    BoxKind,
    Kind,
    NerKind,
    SentimentKind,
    SummaryKind,
    TopicsKind,
)
from databrewery_lab.demo.projects import BATCH_PLAN, SKIP_PER_OVERLAP, honeypot_indices
from databrewery_lab.demo.rng import (
    ANCHOR_S,
    WINDOW_START_S,
    iso_array,
    region_ids,
    streams,
    uuid4_strings,
)
from databrewery_lab.demo.state import Demo, ProjectState
from databrewery_lab.demo.worktime import sample_times

CHUNK_TASKS = 4000
#: (table, columns, rows): one COPY.
CopyBatch = tuple[str, tuple[str, ...], list[tuple[Any, ...]]]
#: Model quality (chance of a right answer on an easy item) of versions v1 and v2.
MODEL_QUALITY = (0.72, 0.88)
#: Version 2 of each backend went live this many days into the window.
V2_DAY = 28
LLM_MODEL_VERSION = "prompt-summary-v1"
LLM_SHARE = 0.3  # of ticket-summary tasks sent through the LLM prompt
REVIEW_SHARE = {"sentiment": 0.3, "ner": 0.35, "bbox": 0.3, "summary": 0.5, "topics": 0.25}
FROM_PREDICTION = {"bbox": 0.5, "summary": 0.6}  # others: 0.3
ADOPT_PREDICTION = 0.5  # chance an annotator keeps a pre-annotation's answer

TASK_COLUMNS = columns(
    "id data meta created_at updated_at is_labeled overlap project_id file_upload_id comment_count "
    "unresolved_comment_count last_comment_updated_at updated_by_id inner_id total_annotations "
    "cancelled_annotations total_predictions comment_authors annotations_results "
    "predictions_results predictions_score predictions_model_versions avg_lead_time draft_exists"
)
ANNOTATION_COLUMNS = columns(
    "id result created_at updated_at lead_time completed_by_id task_id project_id "
    "parent_prediction_id parent_annotation_id was_cancelled ground_truth result_count unique_id "
    "import_id last_action draft_id honeypot reviewed reviewed_by_id was_submitted "
    "review_flow_type fixed_annotation_history_id"
)
PREDICTION_COLUMNS = columns(
    "id result score model_version created_at updated_at task_id cluster neighbors mislabeling "
    "project_id model_run_id import_id"
)
MODEL_RUN_COLUMNS = columns(
    "id model_version status created_at updated_at error_message traceback model_interface_id "
    "project_id task_id task_completion_id timeout is_interactive retries data"
)
LINK_COLUMNS = ("id", "key", "storage_id", "task_id", "created_at", "object_exists")
LINK_TABLES = {
    "s3": "io_storages_s3importstoragelink",
    "gcs": "io_storages_gcsimportstoragelink",
    "azureblob": "io_storages_azureblobimportstoragelink",
    "redis": "io_storages_redisimportstoragelink",
    "localfiles": "io_storages_localfilesimportstoragelink",
}

NOTE_OPENERS = {
    "sentiment": (
        "Is this sarcastic? Reads negative to me.",
        "Mixed or Positive here?",
        "Star rating disagrees with the text.",
    ),
    "ner": (
        "Should the title be part of the PER span?",
        "Is this an ORG or a LOC?",
        "Nationality tagged as MISC, right?",
    ),
    "bbox": (
        "Two products overlap at the edge.",
        "Is the price tag a box?",
        "Image looks cropped.",
    ),
    "summary": (
        "Urgency 4 or 5? Customer says deadline.",
        "Two requests in one ticket.",
        "Summary too long?",
    ),
    "topics": (
        "Billing or Account?",
        "Is a crash always a Bug report?",
        "Feature request hidden in a complaint.",
    ),
}
NOTE_REPLIES = (
    "Agreed, see guideline 3.2.",
    "Good catch, fixed.",
    "Let's discuss in standup.",
    "Follow the majority here.",
    "Escalated to the project manager.",
)


@dataclass
class SideRows:
    """Per-task side rows gathered while streaming, written after the bulk."""

    drafts: list[tuple[Any, ...]] = field(default_factory=list)
    locks: list[tuple[Any, ...]] = field(default_factory=list)
    notes: list[tuple[Any, ...]] = field(default_factory=list)
    comment_authors: list[tuple[Any, ...]] = field(default_factory=list)
    task_flags: list[tuple[Any, ...]] = field(default_factory=list)
    label_links: list[tuple[Any, ...]] = field(default_factory=list)
    #: (model run id, annotation id) to fill ml_models_modelrun.task_completion_id.
    run_annotations: list[tuple[int, int]] = field(default_factory=list)


def kind_for(demo: Demo, project: ProjectState) -> Kind:
    spec = project.spec
    if spec.kind == "sentiment":
        return SentimentKind(spec.labels)
    if spec.kind == "ner":
        return NerKind()
    if spec.kind == "bbox":
        return BoxKind(demo.seed, image_count(project))
    if spec.kind == "summary":
        return SummaryKind()
    return TopicsKind()


def image_count(project: ProjectState) -> int:
    """Distinct images behind a box project's tasks (reused cyclically)."""
    return min(images.MAX_IMAGES, project.n_tasks)


def _ago(seconds: float) -> str:
    """Label Studio's humanised "created_ago" (e.g. "3 hours")."""
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = int(seconds // size)
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return "0 minutes"


class _Ids:
    """Region ids drawn from a seeded stream in batches."""

    def __init__(self, gen: np.random.Generator) -> None:
        self.gen = gen
        self.pool: list[str] = []

    def __call__(self) -> str:
        if not self.pool:
            self.pool = region_ids(self.gen, 4096)
        return self.pool.pop()


def write_tasks(demo: Demo, on_progress: Callable[[int], None] = lambda n: None) -> SideRows:
    """Generate and COPY every project's tasks, predictions and annotations.

    A worker thread simulates chunk N+1 while this thread streams chunk N to the
    server (numpy and the socket wait release the GIL), so the database and Python
    work in parallel. Only the worker allocates ids, so the result is deterministic.
    Errors in the worker are re-raised here; on any exception the worker stops.
    """
    side = SideRows()
    traits = _traits(demo)
    plan = [
        (project, kind, start, min(CHUNK_TASKS, project.n_tasks - start))
        for project in demo.projects
        for kind in (kind_for(demo, project),)
        for start in range(0, project.n_tasks, CHUNK_TASKS)
    ]
    handoff: queue.Queue[tuple[list[CopyBatch], int] | BaseException | None] = queue.Queue(2)
    stop = threading.Event()

    def put(item: tuple[list[CopyBatch], int] | BaseException | None) -> bool:
        while not stop.is_set():
            try:
                handoff.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for project, kind, start, n in plan:
                chunk = _Chunk(demo, project, kind, traits, start, n, side)
                if not put((chunk.generate(), n)):
                    return
            put(None)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(exc)

    worker = threading.Thread(target=produce, name="demo-task-generator", daemon=True)
    worker.start()
    try:
        while True:
            try:
                item = handoff.get(timeout=0.1)
            except queue.Empty:
                continue
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            batches, n = item
            for table, names, rows in batches:
                demo.writer.copy(table, names, rows)
            on_progress(n)
    finally:
        stop.set()
        worker.join()
    return side


def _traits(demo: Demo) -> dict[str, np.ndarray]:
    """Per-user arrays (indexed by user id) of the traits the simulation uses."""
    n_users = max(u.id for u in demo.users) + 1
    traits = {
        "accuracy": np.zeros(n_users),
        "speed": np.ones(n_users),
        "tz": np.zeros(n_users),
        "activity": np.zeros(n_users),
    }
    for u in demo.users:
        traits["accuracy"][u.id] = u.accuracy
        traits["speed"][u.id] = u.speed
        traits["tz"][u.id] = u.tz_offset_h
        traits["activity"][u.id] = u.activity
    return traits


class _Chunk:
    """One chunk of one project's tasks, simulated then written."""

    def __init__(
        self,
        demo: Demo,
        project: ProjectState,
        kind: Kind,
        traits: dict[str, np.ndarray],
        start: int,
        n: int,
        side: SideRows,
    ) -> None:
        self.demo, self.p, self.kind, self.traits = demo, project, kind, traits
        self.start, self.n, self.side = start, n, side
        self.rnd, self.gen = streams(demo.seed, "tasks", project.spec.key, start)
        self.new_id = _Ids(self.gen)

    # ------------------------------------------------------------------ tasks
    def run(self) -> None:
        p, n, gen, rnd = self.p, self.n, self.gen, self.rnd
        k = p.spec.overlap
        idx = np.arange(self.start, self.start + n)
        self.task_ids = p.first_task_id + idx
        self.first_task = p.first_task_id + self.start
        firsts = np.array([b.first for b in p.batches])
        self.batch = np.searchsorted(firsts, idx, side="right") - 1
        batch_ts = np.array([b.created_at.timestamp() for b in p.batches])
        self.created = batch_ts[self.batch] + (idx - firsts[self.batch]) * 0.001
        self.contents = [self.kind.task(rnd, int(i)) for i in idx]
        hardness = np.array([c.hardness for c in self.contents])
        self.difficulty = np.clip(gen.beta(1.2, 8.0, n) + hardness, 0.0, 0.95)

        p_empty = np.array([b[1] for b in BATCH_PLAN])[self.batch]
        p_partial = np.array([b[2] for b in BATCH_PLAN])[self.batch]
        self.honey = np.isin(idx, honeypot_indices(p))
        u = gen.random(n)
        empty = (u < p_empty) & ~self.honey
        if self.start + n == p.n_tasks:
            empty[-1] = True  # the newest task is still waiting (drafts and locks need one)
        partial = ~empty & (u < p_empty + p_partial) & ~self.honey & (k > 1)
        self.n_ann = np.where(empty, 0, np.where(partial, gen.integers(1, max(k, 2), n), k))
        pool = np.array(p.annotator_ids)
        from_pool = self.n_ann - self.honey
        room = np.maximum(len(pool) - from_pool - 1, 0)
        self.n_skip = np.minimum(gen.poisson(SKIP_PER_OVERLAP * k, n), room)
        picks = from_pool + self.n_skip

        # Who works on what: Gumbel top-k = weighted sampling without replacement.
        keys = np.log(self.traits["activity"][pool])[None, :] + gen.gumbel(size=(n, len(pool)))
        self.order = pool[np.argsort(-keys, axis=1)]
        rows, cols = np.nonzero(np.arange(len(pool))[None, :] < picks[:, None])
        a_task = rows
        a_user = self.order[rows, cols]
        a_cancel = cols >= from_pool[rows]
        honey_tasks = np.nonzero(self.honey)[0]
        gold_user = p.manager_ids[0]
        a_task = np.concatenate([a_task, honey_tasks])
        a_user = np.concatenate([a_user, np.full(len(honey_tasks), gold_user)])
        a_cancel = np.concatenate([a_cancel, np.zeros(len(honey_tasks), dtype=bool)])
        a_gold = np.zeros(len(a_task), dtype=bool)
        a_gold[len(a_task) - len(honey_tasks) :] = True
        self.picks = picks

        not_before = self.created[a_task] + 900.0
        t = sample_times(gen, self.traits["tz"][a_user], not_before)
        t = np.where(a_gold, self.created[a_task] + 5.0, t)
        median = p.spec.lead_median * self.traits["speed"][a_user] * (1 + self.difficulty[a_task])
        lead = gen.lognormal(np.log(median), 0.55)
        lead = np.where(a_cancel, gen.lognormal(np.log(6.0), 0.7, len(lead)), lead)
        lead = np.round(lead, 3).astype(np.float32)

        order = np.lexsort((t, a_task))
        self.a_task, self.a_user = a_task[order], a_user[order]
        self.a_cancel, self.a_gold = a_cancel[order], a_gold[order]
        self.a_time, self.a_lead = t[order], lead[order]
        self.a_ids = np.array(self.demo.ids("task_completion", len(order)))

    def generate(self) -> list[CopyBatch]:
        """Simulate the chunk; return the COPY batches that write it, in FK order."""
        self.run()
        self._predictions()
        self._annotations()
        self._side_rows()
        return self._batches()

    # ------------------------------------------------------------ predictions
    def _predictions(self) -> None:
        p, n, rnd, gen, kind = self.p, self.n, self.rnd, self.gen, self.kind
        self.pred_rows: list[list[Any]] = []
        self.run_rows: list[tuple[Any, ...]] = []
        #: per task: list of (prediction id, created epoch, answer, version index)
        self.task_preds: list[list[tuple[int, float, Any, int]]] = [[] for _ in range(n)]
        good = gen.beta(7, 2, size=(n, 2)).round(4).tolist()
        bad = gen.beta(2.5, 3.5, size=(n, 2)).round(4).tolist()
        difficulty = self.difficulty.tolist()
        created = self.created.tolist()
        versions = p.spec.model_versions
        if versions:
            ids = self.demo.ids("prediction", 2 * n)
            v2_from = (WINDOW_START_S + V2_DAY * 86400.0 + gen.uniform(0, 36000, n)).tolist()
            for i in range(n):
                batch = p.batches[self.batch[i]]
                v1_at = created[i] + (30.0 if batch.source == "upload" else 600.0)
                v2_at = max(v2_from[i], created[i] + 3600.0)
                truth = self.contents[i].truth
                for v, (at, quality) in enumerate(
                    ((v1_at, MODEL_QUALITY[0]), (v2_at, MODEL_QUALITY[1]))
                ):
                    answer = kind.answer(rnd, truth, quality * (1 - 0.5 * difficulty[i]))
                    score = good[i][v] if kind.correct(answer, truth) else bad[i][v]
                    pid = ids[2 * i + v]
                    import_id = batch.import_id if v == 0 else None
                    self._add_prediction(pid, i, answer, score, versions[v], at, None, import_id)
                    self.task_preds[i].append((pid, at, answer, v))
        elif p.spec.kind == "summary":
            picked = gen.random(n) < LLM_SHARE
            failed = gen.random(n) < 0.06
            if self.start == 0:  # at least one successful run per build
                picked[0], failed[0] = True, False
            chosen = np.nonzero(picked)[0].tolist()
            failed = failed[chosen].tolist()
            run_ids = self.demo.ids("ml_models_modelrun", len(chosen))
            ok = len(failed) - sum(failed)
            pred_ids = iter(self.demo.ids("prediction", ok))
            for run_id, i, fail in zip(run_ids, chosen, failed, strict=True):
                at = created[i] + float(gen.uniform(1800, 3 * 86400))
                at = min(at, ANCHOR_S - 3600.0)
                tokens_in, tokens_out = int(gen.integers(180, 900)), int(gen.integers(20, 60))
                data = {"prompt_version": 3, "input_tokens": tokens_in, "output_tokens": tokens_out}
                error = "Provider timed out after 60 s (demo)" if fail else None
                trace = "Traceback (most recent call last):\n  ...\nTimeoutError" if fail else None
                self.run_rows.append(
                    (
                        run_id,
                        LLM_MODEL_VERSION,
                        "Failed" if fail else "Completed",
                        at,
                        at + 4.0,
                        error,
                        trace,
                        p.model_interface_id,
                        p.id,
                        int(self.task_ids[i]),
                        None,
                        60.0,
                        False,
                        2 if fail else int(rnd.random() < 0.1),
                        json.dumps(data),
                    )
                )
                if fail:
                    continue
                truth = self.contents[i].truth
                answer = kind.answer(rnd, truth, 0.85 * (1 - 0.5 * difficulty[i]))
                score = good[i][0] if kind.correct(answer, truth) else bad[i][0]
                pid = next(pred_ids)
                self._add_prediction(
                    pid, i, answer, score, LLM_MODEL_VERSION, at + 3.0, run_id, None
                )
                self.task_preds[i].append((pid, at + 3.0, answer, 0))

    def _add_prediction(
        self,
        pid: int,
        i: int,
        answer: Any,
        score: float,
        version: str,
        at: float,
        run_id: int | None,
        import_id: int | None,
    ) -> None:
        result, _ = self.kind.result(answer, self.contents[i].truth, self.new_id, score)
        labels = [lab for _, lab in self.kind.labels(answer)]
        cluster = hash_label(labels[0] if labels else "")
        first = self.first_task
        neighbors = (
            f"[{first + (i + 1) % self.n}, {first + (i + 2) % self.n}, {first + (i + 3) % self.n}]"
        )
        # mislabeling is filled in once annotations exist (see _annotations)
        self.pred_rows.append(
            [
                pid,
                result,
                score,
                version,
                at,
                at,
                first + i,
                cluster,
                neighbors,
                0.0,
                self.p.id,
                run_id,
                import_id,
                answer,
            ]
        )

    # ------------------------------------------------------------ annotations
    def _annotations(self) -> None:
        p, rnd, gen, kind = self.p, self.rnd, self.gen, self.kind
        a_n = len(self.a_ids)
        share = FROM_PREDICTION.get(p.spec.kind, 0.3)
        from_pred = gen.random(a_n) < share
        adopt = gen.random(a_n) < ADOPT_PREDICTION
        copy_parent = gen.random(a_n) < 0.03
        updated_later = gen.random(a_n) < 0.05
        later = gen.uniform(600, 2 * 86400, a_n)
        review_share = REVIEW_SHARE.get(p.spec.kind, 0.3) if p.spec.org == 0 else 0.2
        reviewed_task = (gen.random(self.n) < review_share) & (self.n_ann >= p.spec.overlap)
        reviewed_task &= ~self.honey
        review_delay = gen.uniform(3600, 30 * 3600, self.n)
        uniques = uuid4_strings(gen, a_n)
        accuracy = self.traits["accuracy"].tolist()
        difficulty = self.difficulty.tolist()
        a_task, a_user = self.a_task.tolist(), self.a_user.tolist()
        a_time, a_lead = self.a_time.tolist(), self.a_lead.tolist()
        a_cancel, a_gold = self.a_cancel.tolist(), self.a_gold.tolist()
        a_ids, honey = self.a_ids.tolist(), self.honey.tolist()
        from_pred, adopt = from_pred.tolist(), adopt.tolist()
        copy_parent, updated_later, later = (
            copy_parent.tolist(),
            updated_later.tolist(),
            later.tolist(),
        )

        self.ann_rows: list[tuple[Any, ...]] = []
        self.answers: list[list[Any]] = [[] for _ in range(self.n)]
        self.first_submitted: dict[int, int] = {}
        self.task_last: dict[int, tuple[float, int]] = {}
        self.task_updated = self.created.tolist()
        self.lead_sum = [0.0] * self.n
        reviewer_of = {i: rnd.choice(p.reviewer_ids) for i in np.nonzero(reviewed_task)[0].tolist()}
        # per task: when the last submitted annotation landed (for review times)
        last_time = np.full(self.n, 0.0)
        np.maximum.at(last_time, self.a_task, np.where(self.a_cancel, 0.0, self.a_time))
        last_time = last_time.tolist()
        review_delay = review_delay.tolist()
        first = self.first_task
        useful = gold_count = 0
        for a in range(a_n):
            i = a_task[a]
            truth = self.contents[i].truth
            t, user, lead = a_time[a], a_user[a], a_lead[a]
            parent_pred = parent_ann = None
            review_flow = reviewed_by = None
            reviewed = False
            import_id = None
            updated = min(t + lead, ANCHOR_S - 1.0)
            if a_cancel[a]:
                result, count, last_action, answer = "[]", 0, "skipped", None
            elif a_gold[a]:
                answer = kind.ideal(truth)
                result, count = kind.result(answer, truth, self.new_id)
                last_action = "imported"
                import_id = p.batches[0].import_id
                gold_count += 1
            else:
                answer = None
                preds = [x for x in self.task_preds[i] if x[1] <= t]
                if preds and from_pred[a]:
                    pid, _, pred_answer, _ = preds[-1]
                    parent_pred = pid
                    if adopt[a]:
                        answer = pred_answer
                if answer is None:
                    p_right = accuracy[user] * (1 - 0.35 * difficulty[i])
                    answer = kind.answer(rnd, truth, p_right)
                last_action = "submitted"
                if i in reviewer_of:
                    reviewed, reviewed_by = True, reviewer_of[i]
                    updated = min(last_time[i] + review_delay[i], ANCHOR_S - 1.0)
                    if kind.correct(answer, truth):
                        last_action, review_flow = "accepted", "accept"
                    elif rnd.random() < 0.5:
                        last_action, review_flow = "rejected", "reject"
                    else:
                        last_action, review_flow = "fixed_and_accepted", "fix_and_accept"
                        answer = kind.ideal(truth)
                elif updated_later[a]:
                    last_action = "updated"
                    updated = min(updated + later[a], ANCHOR_S - 1.0)
                if copy_parent[a] and i in self.first_submitted:
                    parent_ann = self.first_submitted[i]
                result, count = kind.result(answer, truth, self.new_id)
                if count:
                    useful += 1
            if answer is not None:
                self.answers[i].append((a_ids[a], answer, user, t))
                self.first_submitted.setdefault(i, a_ids[a])
                self.lead_sum[i] += lead
                if i not in self.task_last or t >= self.task_last[i][0]:
                    self.task_last[i] = (t, user)
                for control, label in kind.labels(answer):
                    p.label_counts[f"{control}\x1f{label}"] += 1
            self.task_updated[i] = max(self.task_updated[i], updated)
            self.ann_rows.append(
                (
                    a_ids[a],
                    result,
                    t,
                    updated,
                    lead,
                    user,
                    first + i,
                    p.id,
                    parent_pred,
                    parent_ann,
                    a_cancel[a],
                    a_gold[a],
                    count,
                    uniques[a],
                    import_id,
                    last_action,
                    None,
                    honey[i],
                    reviewed,
                    reviewed_by,
                    not a_cancel[a],
                    review_flow,
                    None,
                )
            )

        # prediction mislabeling: how often the submitted annotations disagree with it
        for row in self.pred_rows:
            i = int(row[6] - self.task_ids[0])
            given = [ans for _, ans, _, _ in self.answers[i]]
            if given:
                disagree = sum(ans != row[-1] for ans in given) / len(given)
                row[9] = round(disagree * row[2], 4)

        c = p.counters
        c["total_annotations_number"] += int(self.n_ann.sum())
        c["skipped_annotations_number"] += int(self.n_skip.sum())
        c["total_predictions_number"] += len(self.pred_rows)
        c["num_tasks_with_annotations"] += int((self.n_ann > 0).sum())
        c["finished_task_number"] += int(self._finished().sum())
        c["ground_truth_number"] += gold_count
        c["useful_annotation_number"] += useful
        if a_n:
            c["last_activity"] = max(c["last_activity"], max(self.task_updated))
        months = np.datetime_as_string(self.created.astype("datetime64[s]"), unit="M")
        for month, count_ in zip(*np.unique(months, return_counts=True), strict=True):
            p.tasks_per_month[str(month)] += int(count_)

        work = self.demo.work
        for user, lead, t in zip(
            self.a_user.tolist(), self.a_lead.tolist(), self.a_time.tolist(), strict=True
        ):
            entry = work[user]
            entry[0] += lead
            entry[1] += 1
            entry[2] = max(entry[2], t)

    def _finished(self) -> np.ndarray:
        """Which tasks are labeled: enough answers (skips count under IGNORE_SKIPPED)."""
        done = self.n_ann + (self.n_skip if self.p.spec.skip_queue == "IGNORE_SKIPPED" else 0)
        return done >= self.p.spec.overlap

    # --------------------------------------------------------------- side rows
    def _side_rows(self) -> None:
        """Drafts, locks, comments, flags and label links for this chunk's tasks."""
        p, rnd, gen, side, demo = self.p, self.rnd, self.gen, self.side, self.demo
        users = {u.id: u for u in demo.users}
        n = self.n
        self.comment_count = np.zeros(n, dtype=int)
        self.unresolved = np.zeros(n, dtype=int)
        self.comment_authors = np.zeros(n, dtype=int)
        self.last_comment: dict[int, float] = {}
        self.draft_exists = np.zeros(n, dtype=bool)
        first_chunk = self.start == 0
        pool_size = self.order.shape[1]
        open_tasks = np.nonzero((self.n_ann < p.spec.overlap) & (self.picks < pool_size))[0]
        u = gen.random(n)
        flagged = set(np.nonzero(u < 0.01)[0].tolist())
        locked = set(open_tasks[gen.random(len(open_tasks)) < 0.01].tolist())
        drafted = set(open_tasks[gen.random(len(open_tasks)) < 0.05].tolist())
        if self.start + n == p.n_tasks and len(open_tasks):  # the project's newest task
            locked.add(int(open_tasks[-1]))
            drafted.add(int(open_tasks[-1]))
        if first_chunk:
            flagged.add(0)
        first_annotated = int(np.argmax(self.n_ann > 0)) if first_chunk else -1
        for i in range(n):
            task_id = int(self.task_ids[i])
            given = self.answers[i]
            # comments: more likely where annotators disagree
            if given:
                distinct = len({repr(ans) for _, ans, _, _ in given})
                chance = 0.12 if distinct > 1 else 0.01
                if i == first_annotated or rnd.random() < chance:
                    self._comment_thread(i, task_id, given)
                if i == first_annotated or rnd.random() < 0.05:
                    for _control, label in self.kind.labels(given[0][1]):
                        if label in p.label_ids:
                            side.label_links.append(
                                (
                                    demo.next_id("labels_manager_labellink"),
                                    given[0][0],
                                    given[0][3],
                                    p.label_ids[label],
                                    task_id,
                                )
                            )
                            break
                if rnd.random() < 0.01:  # a submitted annotation re-opened for editing
                    aid, ans, user, t = given[0]
                    self._draft(i, task_id, user, ans, t + 3600, aid)
            if i in drafted:
                user = int(self.order[i, self.picks[i]])
                answer = self.kind.answer(rnd, self.contents[i].truth, users[user].accuracy)
                when = ANCHOR_S - rnd.uniform(1800, 10 * 86400)
                self._draft(i, task_id, user, answer, max(when, self.created[i] + 900), None)
            if i in locked:
                user = int(self.order[i, self.picks[i]])
                if rnd.random() < 0.3:
                    made = ANCHOR_S - rnd.uniform(60, 540)
                else:
                    made = rnd.uniform(max(self.created[i] + 900, WINDOW_START_S), ANCHOR_S - 3600)
                side.locks.append(
                    (demo.next_id("tasks_tasklock"), made + 600.0, task_id, user, made)
                )
            if i in flagged:
                titles = list(demo.flags)
                title = "Broken media" if p.spec.kind == "bbox" and rnd.random() < 0.5 else None
                title = title or rnd.choice(titles)
                side.task_flags.append((demo.next_id("task_flags"), task_id, demo.flags[title]))
        for run in self.run_rows:
            i = int(run[9] - self.task_ids[0])
            if self.answers[i]:
                side.run_annotations.append((run[0], self.answers[i][0][0]))

    def _comment_thread(self, i: int, task_id: int, given: list[Any]) -> None:
        p, rnd, side, demo = self.p, self.rnd, self.side, self.demo
        opener = given[rnd.randrange(len(given))][2]
        responder = rnd.choice(p.reviewer_ids + p.manager_ids)
        authors = [opener] + [responder if k % 2 == 0 else opener for k in range(rnd.randint(0, 2))]
        resolved = rnd.random() < 0.6
        when = max(given[0][3], min(given[0][3] + rnd.uniform(300, 86400), ANCHOR_S - 7200))
        texts = NOTE_OPENERS[self.p.spec.kind]
        for k, author in enumerate(authors):
            when = min(when + rnd.uniform(120, 20000), ANCHOR_S - 60)
            text = rnd.choice(texts) if k == 0 else rnd.choice(NOTE_REPLIES)
            updated = min(when + (rnd.uniform(60, 7200) if resolved else 0.0), ANCHOR_S - 1)
            side.notes.append(
                (demo.next_id("tasks_notes"), text, when, updated, resolved, p.id, task_id, author)
            )
            self.last_comment[i] = max(self.last_comment.get(i, 0.0), updated)
        self.comment_count[i] = len(authors)
        self.unresolved[i] = 0 if resolved else len(authors)
        distinct = sorted(set(authors))
        self.comment_authors[i] = len(distinct)
        for author in distinct:
            side.comment_authors.append((demo.next_id("task_comment_authors"), task_id, author))
        self.task_updated[i] = max(self.task_updated[i], self.last_comment[i])

    def _draft(
        self, i: int, task_id: int, user: int, answer: Any, when: float, annotation: int | None
    ) -> None:
        when = min(when, ANCHOR_S - 120)
        result, _ = self.kind.result(answer, self.contents[i].truth, self.new_id)
        username = next(u.username for u in self.demo.users if u.id == user)
        lead = round(self.rnd.uniform(5, 3 * self.p.spec.lead_median), 3)
        self.side.drafts.append(
            (
                self.demo.next_id("tasks_annotationdraft"),
                result,
                lead,
                when,
                when + 30.0,
                annotation,
                task_id,
                user,
                username,
                _ago(ANCHOR_S - when),
            )
        )
        self.draft_exists[i] = True

    # ------------------------------------------------------------------ write
    def _batches(self) -> list[CopyBatch]:
        """COPY batches for this chunk: tasks, model runs, predictions, annotations, links."""
        p, n = self.p, self.n
        created = iso_array(self.created)
        updated = iso_array(np.array(self.task_updated))
        score_sum = [0.0] * n
        for row in self.pred_rows:
            score_sum[row[6] - self.first_task] += row[2]
        file_upload = [b.file_upload_id for b in p.batches]
        batch = self.batch.tolist()
        n_ann, n_skip = self.n_ann.tolist(), self.n_skip.tolist()
        comments, unresolved = self.comment_count.tolist(), self.unresolved.tolist()
        authors, drafts = self.comment_authors.tolist(), self.draft_exists.tolist()
        finished = self._finished().tolist()
        overlap = p.spec.overlap
        text = self.kind.text
        task_rows = []
        for i in range(n):
            preds = self.task_preds[i]
            last = self.last_comment.get(i)
            versions = sorted({self._version_name(v) for _, _, _, v in preds})
            task_rows.append(
                (
                    self.first_task + i,
                    self.contents[i].data,
                    self.contents[i].meta,
                    created[i],
                    updated[i],
                    bool(finished[i]),
                    overlap,
                    p.id,
                    file_upload[batch[i]],
                    comments[i],
                    unresolved[i],
                    None if last is None else _iso1(last),
                    self.task_last[i][1] if i in self.task_last else None,
                    self.start + i + 1,
                    n_ann[i],
                    n_skip[i],
                    len(preds),
                    authors[i],
                    json.dumps([text(ans) for _, ans, _, _ in self.answers[i]]),
                    json.dumps([text(ans) for _, _, ans, _ in preds]),
                    round(score_sum[i] / len(preds), 4) if preds else None,
                    json.dumps(versions),
                    float(np.float32(self.lead_sum[i] / n_ann[i])) if n_ann[i] else None,
                    drafts[i],
                )
            )
        out: list[CopyBatch] = [("task", TASK_COLUMNS, task_rows)]
        if self.run_rows:
            runs = self.run_rows
            times = iso_array(np.array([r[3] for r in runs] + [r[4] for r in runs]))
            k = len(runs)
            rows = [(*r[:3], times[j], times[k + j], *r[5:]) for j, r in enumerate(runs)]
            out.append(("ml_models_modelrun", MODEL_RUN_COLUMNS, rows))
        if self.pred_rows:
            times = iso_array(np.array([r[4] for r in self.pred_rows]))
            rows = [(*r[:4], times[j], times[j], *r[6:13]) for j, r in enumerate(self.pred_rows)]
            out.append(("prediction", PREDICTION_COLUMNS, rows))
        if self.ann_rows:
            a_times = iso_array(np.array([r[2] for r in self.ann_rows]))
            u_times = iso_array(np.array([r[3] for r in self.ann_rows]))
            rows = [
                (r[0], r[1], a_times[j], u_times[j], *r[4:]) for j, r in enumerate(self.ann_rows)
            ]
            out.append(("task_completion", ANNOTATION_COLUMNS, rows))
        return out + self._link_batches(created)

    def _version_name(self, v: int) -> str:
        versions = self.p.spec.model_versions
        return versions[v] if versions else LLM_MODEL_VERSION

    def _link_batches(self, created: list[str]) -> list[CopyBatch]:
        p, demo = self.p, self.demo
        by_table: dict[str, list[tuple[Any, ...]]] = {}
        for i, b in enumerate(self.batch.tolist()):
            source = "localfiles" if p.spec.kind == "bbox" else p.batches[b].source
            if source == "upload" or source not in p.import_storage:
                continue
            table = LINK_TABLES[source]
            key = storage_key(p, source, self.start + i)
            by_table.setdefault(table, []).append(
                (
                    demo.next_id(table),
                    key,
                    p.import_storage[source],
                    self.first_task + i,
                    created[i],
                    "true",
                )
            )
        return [(table, LINK_COLUMNS, rows) for table, rows in by_table.items()]


def _iso1(t: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).isoformat()


def hash_label(label: str) -> int:
    """A stable small cluster number for a label (Python's hash() is salted)."""
    return sum(label.encode()) % 16


def storage_key(project: ProjectState, source: str, index: int) -> str:
    """The object key a cloud-storage link records for task ``index`` of a project."""
    if source == "localfiles":
        root = project.storage_paths["localfiles"]
        return f"{root}/{images.image_name(index % image_count(project))}"
    prefix = project.storage_paths.get(source, "")
    if source == "redis":
        return f"{prefix}:{index:07d}"
    return f"{prefix}/{index:07d}.json"


def write_side_tables(demo: Demo, side: SideRows) -> None:
    """Drafts, locks, comments, flags, label links; then close the reference cycles."""
    w = demo.writer

    def stamp(rows: list[tuple[Any, ...]], positions: tuple[int, ...]) -> list[tuple[Any, ...]]:
        out = []
        for row in rows:
            values = list(row)
            for c in positions:
                values[c] = _iso1(values[c])
            out.append(tuple(values))
        return out

    w.copy(
        "tasks_annotationdraft",
        columns(
            "id result lead_time created_at updated_at annotation_id task_id user_id "
            "created_username created_ago"
        ),
        stamp(side.drafts, (3, 4)),
    )
    w.copy(
        "tasks_tasklock",
        ("id", "expire_at", "task_id", "user_id", "created_at"),
        stamp(side.locks, (1, 4)),
    )
    w.copy(
        "tasks_notes",
        columns("id text created_at updated_at is_resolved project_id task_id user_id"),
        stamp(side.notes, (2, 3)),
    )
    w.copy("task_comment_authors", ("id", "task_id", "user_id"), side.comment_authors)
    w.copy("task_flags", ("id", "task_id", "flag_id"), side.task_flags)
    w.copy(
        "labels_manager_labellink",
        ("id", "object_id", "created_at", "label_id", "task_id"),
        stamp(side.label_links, (2,)),
    )
    # Annotations re-opened as drafts point back at their draft.
    w.executemany(
        "UPDATE task_completion SET draft_id = %s WHERE id = %s",
        [(row[0], row[5]) for row in side.drafts if row[5] is not None],
    )
    w.executemany(
        "UPDATE ml_models_modelrun SET task_completion_id = %s WHERE id = %s",
        [(ann, run) for run, ann in side.run_annotations],
    )
