"""Task texts from templates and small vocabularies: reviews, news, support tickets.

Each generator returns the text together with its hidden truth (sentiment, entity
spans, topics and urgency), so annotations can be simulated against it. Nothing is
downloaded; the same ``random.Random`` state always gives the same text. The
vocabulary holds no double quotes or backslashes, so texts embed in JSON as-is.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

# --------------------------------------------------------------------------- reviews

PRODUCTS = (
    "wireless earbuds",
    "coffee grinder",
    "standing desk",
    "running shoes",
    "air fryer",
    "phone case",
    "hiking backpack",
    "desk lamp",
    "electric kettle",
    "yoga mat",
    "mechanical keyboard",
    "water bottle",
    "blender",
    "office chair",
    "smart watch",
    "robot vacuum",
    "bluetooth speaker",
    "rice cooker",
    "webcam",
    "electric toothbrush",
)
ASPECTS = (
    "battery life",
    "build quality",
    "price",
    "customer service",
    "delivery",
    "sound",
    "design",
    "setup",
    "packaging",
    "size",
    "noise level",
    "app",
    "warranty",
    "fit",
)
POSITIVE = (
    "The {aspect} is excellent.",
    "I am really impressed with the {aspect}.",
    "It works exactly as advertised.",
    "Would happily buy it again.",
    "Easily the best {product} I have owned.",
    "Five stars from me, the {aspect} alone is worth it.",
    "My partner liked it so much we ordered a second one.",
    "Setup took two minutes and it has been flawless since.",
)
NEGATIVE = (
    "The {aspect} is terrible.",
    "It stopped working after {n} days.",
    "A complete waste of money.",
    "I returned it the same week.",
    "Very disappointed with the {aspect}.",
    "Support never answered my emails about the {aspect}.",
    "It arrived scratched and the {aspect} is flimsy.",
    "Do not buy this {product}.",
)
NEUTRAL = (
    "It arrived on {day}.",
    "It does what it says on the box.",
    "The {aspect} is about what you would expect for the price.",
    "I have used it for {n} weeks so far.",
    "It comes in three colours; I picked the grey one.",
    "Bought it as a replacement for my old {product}.",
    "The manual is in English and Spanish.",
)
SARCASTIC = (
    "Great, another {product} that gives up after {n} days. Just what I needed.",
    "Oh wonderful, the {aspect} lasted almost a whole weekend.",
    "Amazing how a {product} this expensive can feel this cheap.",
)
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True)
class Review:
    """A product review and its hidden sentiment."""

    text: str
    label: str
    product: str
    stars: int
    #: Extra difficulty (0..1) for annotators and models, e.g. sarcasm.
    hardness: float


def _fill(template: str, rnd: random.Random, product: str) -> str:
    return template.format(
        aspect=rnd.choice(ASPECTS), product=product, n=rnd.randint(2, 30), day=rnd.choice(DAYS)
    )


def review(rnd: random.Random, labels: tuple[str, ...]) -> Review:
    """One review whose true sentiment is drawn from ``labels``."""
    label = rnd.choices(labels, weights=(40, 30, 18, 12)[: len(labels)])[0]
    product = rnd.choice(PRODUCTS)
    hardness = 0.0
    if label == "Positive":
        parts = [_fill(t, rnd, product) for t in rnd.sample(POSITIVE, rnd.randint(1, 3))]
        if rnd.random() < 0.3:
            parts.insert(0, _fill(rnd.choice(NEUTRAL), rnd, product))
        stars = rnd.choice((4, 5, 5))
    elif label == "Negative":
        if rnd.random() < 0.12:
            parts = [_fill(rnd.choice(SARCASTIC), rnd, product)]
            hardness = 0.6
        else:
            parts = [_fill(t, rnd, product) for t in rnd.sample(NEGATIVE, rnd.randint(1, 3))]
        stars = rnd.choice((1, 1, 2))
    elif label == "Neutral":
        parts = [_fill(t, rnd, product) for t in rnd.sample(NEUTRAL, rnd.randint(2, 3))]
        stars = 3
        hardness = 0.2
    else:  # Mixed
        pos = _fill(rnd.choice(POSITIVE), rnd, product).rstrip(".")
        neg = _fill(rnd.choice(NEGATIVE), rnd, product)
        parts = [f"{pos}, but {neg[0].lower()}{neg[1:]}"]
        if rnd.random() < 0.5:
            parts.append(_fill(rnd.choice(NEUTRAL), rnd, product))
        stars = rnd.choice((2, 3, 4))
        hardness = 0.35
    return Review(" ".join(parts), label, product, stars, hardness)


# ------------------------------------------------------------------------------ news

FIRST_NAMES = (
    "Maria",
    "James",
    "Aisha",
    "Chen",
    "Olga",
    "Rahul",
    "Fatima",
    "Lucas",
    "Ingrid",
    "Kwame",
    "Sofia",
    "Hiroshi",
    "Amara",
    "Diego",
    "Elena",
    "Tomasz",
    "Priya",
    "Noah",
    "Leila",
    "Mateo",
)
LAST_NAMES = (
    "Lopez",
    "Okafor",
    "Schmidt",
    "Tanaka",
    "Novak",
    "Haddad",
    "Fernandes",
    "Kowalski",
    "Andersson",
    "Mensah",
    "Rossi",
    "Kim",
    "Dubois",
    "Iyer",
    "Walsh",
    "Moreau",
    "Petrov",
)
ORGS = (
    "Globex",
    "Initech",
    "Hooli",
    "Vandelay Industries",
    "Tyrell Corporation",
    "Cyberdyne Systems",
    "Massive Dynamic",
    "Wonka Industries",
    "Soylent Foods",
    "Umbrella Health",
    "Acme Logistics",
    "the Federal Reserve",
    "the World Bank",
    "Blue Sun Energy",
    "Oscorp",
)
LOCATIONS = (
    "Lagos",
    "Berlin",
    "Sao Paulo",
    "Mumbai",
    "Toronto",
    "Nairobi",
    "Osaka",
    "Lyon",
    "Chicago",
    "Jakarta",
    "Warsaw",
    "Melbourne",
    "Cairo",
    "Lisbon",
    "Seoul",
    "Kenya",
    "Norway",
    "Peru",
)
MISC = (
    "World Cup",
    "Nobel Prize",
    "Olympic Games",
    "Paris Agreement",
    "Champions League",
    "Brazilian",
    "Japanese",
    "Nigerian",
    "German",
    "Eurovision Song Contest",
    "Grand Prix",
)
NEWS_TEMPLATES = (
    "{PER}, chief executive of {ORG}, said the company would expand into {LOC} next year.",
    "Shares of {ORG} rose 4 percent in {LOC} after {PER} announced a partnership with {ORG}.",
    "{PER} won the {MISC} in {LOC} on Sunday.",
    "The {MISC} delegation met {PER} in {LOC} to discuss trade.",
    "{ORG} hired {PER} as chief financial officer, according to a filing in {LOC}.",
    "Officials in {LOC} said {ORG} had not responded to requests for comment.",
    "Analysts at {ORG} expect growth in {LOC} to slow, {PER} told reporters.",
    "{PER} and {PER} will lead the {MISC} bid for {LOC}.",
    "Regulators in {LOC} fined {ORG} for late disclosures.",
    "Speaking in {LOC}, {PER} praised the {MISC} organisers.",
)

Span = tuple[int, int, str]


@dataclass(frozen=True)
class NewsItem:
    """A news paragraph with its entity spans (start, end, label) and decoy words."""

    text: str
    entities: tuple[Span, ...]
    #: Capitalised non-entity words (start, end): where sloppy annotators mislabel.
    decoys: tuple[tuple[int, int], ...] = field(default=())


def _entity(rnd: random.Random, label: str) -> str:
    if label == "PER":
        return f"{rnd.choice(FIRST_NAMES)} {rnd.choice(LAST_NAMES)}"
    return rnd.choice({"ORG": ORGS, "LOC": LOCATIONS, "MISC": MISC}[label])


def news(rnd: random.Random) -> NewsItem:
    """One to three sentences of news with PER/ORG/LOC/MISC entities."""
    pieces: list[str] = []
    entities: list[Span] = []
    decoys: list[tuple[int, int]] = []
    pos = 0
    for s, template in enumerate(rnd.sample(NEWS_TEMPLATES, rnd.randint(1, 3))):
        if s:
            pieces.append(" ")
            pos += 1
        first_word = True
        for chunk in template.replace("{", "\x00{").replace("}", "}\x00").split("\x00"):
            if chunk.startswith("{") and chunk.endswith("}"):
                label = chunk[1:-1]
                value = _entity(rnd, label)
                start = pos
                if value.startswith("the "):  # "the World Bank": the article is not the name
                    start += 4
                    if first_word:
                        value = "The" + value[3:]
                entities.append((start, pos + len(value), label))
                text = value
            else:
                text = chunk
                if first_word and text[:1].isupper():
                    word_end = text.find(" ") if " " in text else len(text)
                    decoys.append((pos, pos + word_end))
            first_word = False
            pieces.append(text)
            pos += len(text)
    return NewsItem("".join(pieces), tuple(entities), tuple(decoys))


# --------------------------------------------------------------------------- tickets

TOPIC_SENTENCES = {
    "Billing": (
        "I was charged twice for my {plan} subscription this month.",
        "The invoice for order {order} shows the wrong VAT number.",
        "Why did my {plan} plan renew at a higher price?",
    ),
    "Shipping": (
        "My order {order} was supposed to arrive on {day} and it still has not shipped.",
        "The tracking page for {order} has not updated in a week.",
        "The parcel arrived damaged and half the items were missing.",
    ),
    "Account": (
        "I cannot log in since I changed my email address.",
        "Please merge my two accounts, I only use the newer one.",
        "The password reset link never arrives.",
    ),
    "Bug report": (
        "The export button crashes the app on {device}.",
        "Since the last update the dashboard shows a blank page on {device}.",
        "Search returns no results even for items I can see in the list.",
    ),
    "Feature request": (
        "It would be great to schedule reports for every {day}.",
        "Could you add dark mode to the {device} app?",
        "Please let us export invoices as CSV.",
    ),
}
TOPIC_SUMMARIES = {
    "Billing": ("disputes a charge", "asks about an invoice", "questions a renewal price"),
    "Shipping": ("reports a late delivery", "asks where the parcel is", "reports a damaged parcel"),
    "Account": ("cannot access the account", "wants accounts merged", "needs a password reset"),
    "Bug report": ("reports an app crash", "reports a broken dashboard", "reports broken search"),
    "Feature request": ("requests scheduled reports", "asks for dark mode", "asks for CSV export"),
}
URGENT_LINES = (
    "This is urgent, our whole team is blocked.",
    "Please fix this today, we have a deadline.",
    "URGENT: customers are complaining.",
)
CALM_LINES = ("No rush, whenever you get a chance.", "Thanks in advance.", "Kind regards.")
GREETINGS = ("Hi team,", "Hello,", "Hi there,", "Dear support,", "Good morning,")
PLANS = ("Basic", "Team", "Pro", "Enterprise")
DEVICES = ("Android", "iPhone", "Windows", "macOS", "the web")
TOPICS = tuple(TOPIC_SENTENCES)


@dataclass(frozen=True)
class Ticket:
    """A support ticket, its true topics, urgency (1..5) and reference summary."""

    text: str
    topics: tuple[str, ...]
    urgency: int
    summary: str
    channel: str


def ticket(rnd: random.Random) -> Ticket:
    """One support ticket with one or two topics."""
    topics = tuple(rnd.sample(TOPICS, 1 if rnd.random() < 0.7 else 2))
    urgency = rnd.choices((1, 2, 3, 4, 5), weights=(15, 25, 30, 20, 10))[0]
    fill = {
        "plan": rnd.choice(PLANS),
        "order": f"#{rnd.randint(100000, 999999)}",
        "day": rnd.choice(DAYS),
        "device": rnd.choice(DEVICES),
    }
    picks = [rnd.randrange(len(TOPIC_SENTENCES[t])) for t in topics]
    body = [TOPIC_SENTENCES[t][i].format(**fill) for t, i in zip(topics, picks, strict=True)]
    body.append(rnd.choice(URGENT_LINES) if urgency >= 4 else rnd.choice(CALM_LINES))
    text = rnd.choice(GREETINGS) + "\n" + " ".join(body)
    wants = [TOPIC_SUMMARIES[t][i] for t, i in zip(topics, picks, strict=True)]
    summary = "Customer " + " and ".join(wants) + "."
    channel = rnd.choice(("email", "email", "chat", "web form"))
    return Ticket(text, topics, urgency, summary, channel)


SUMMARY_OPENERS = ("Customer", "User", "Client", "The customer")


def annotator_summary(rnd: random.Random, t: Ticket, careful: bool) -> str:
    """An annotator's one-line summary: careful ones cover every topic."""
    wants = t.summary.removeprefix("Customer ").rstrip(".").split(" and ")
    if not careful and len(wants) > 1:
        wants = wants[:1]
    elif not careful and rnd.random() < 0.3:  # a vaguer paraphrase of the right topic
        wants = [rnd.choice(TOPIC_SUMMARIES[t.topics[0]])]
    tail = " (urgent)" if t.urgency >= 4 and careful else ""
    return f"{rnd.choice(SUMMARY_OPENERS)} {' and '.join(wants)}{tail}."
