"""The demo library's prompts, as first written (their edits and history are in tui/demo.py)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class PromptSpec:
    name: str
    folder: str
    content: str
    tags: tuple[str, ...]
    phase: str
    provider: str
    model: str
    temperature: float
    description: str = ""
    max_tokens: int | None = None
    format_type: str = "auto"
    popularity: int = 2  # relative weight in the usage history
    example: dict[str, str] = field(default_factory=dict)  # template values for `use`


PROMPTS: tuple[PromptSpec, ...] = (
    PromptSpec(
        name="Blog post outline",
        folder="writing/blog",
        description="A structured outline for a blog post, ready to draft from.",
        content=(
            "You are an experienced technical editor.\n\n"
            "Write an outline for a blog post about {{topic}} for {{audience}}.\n\n"
            "- Start with a working title and a one-sentence promise to the reader.\n"
            "- Give 4-6 sections, each with a heading and two or three bullet points.\n"
            "- Mark where a code sample, diagram or example would help.\n"
            "- End with a short call to action.\n\n"
            "Aim for a post of about {{word_count}} words. Do not write the post itself."
        ),
        tags=("writing", "outline", "template"),
        phase="production",
        provider="openai",
        model="gpt-4o",
        temperature=0.7,
        format_type="markdown",
        popularity=5,
        example={
            "topic": "DuckDB for analytics",
            "audience": "data engineers",
            "word_count": "1200",
        },
    ),
    PromptSpec(
        name="Blog intro hooks",
        folder="writing/blog",
        description="Five alternative opening paragraphs to choose from.",
        content=(
            "Write five different opening paragraphs for a blog post about {{topic}}.\n"
            "Use a different technique for each: a question, a surprising statistic, a short "
            "story, a bold claim, and a problem the reader has right now.\n"
            "Keep each under 60 words and label it with the technique used."
        ),
        tags=("writing", "hooks"),
        phase="testing",
        provider="anthropic",
        model="claude-sonnet-4",
        temperature=0.9,
        popularity=2,
        example={"topic": "keeping prompts under version control"},
    ),
    PromptSpec(
        name="Code review",
        folder="eng/code-review",
        description="A careful, constructive review of a diff.",
        content=(
            "You are a senior {{language}} engineer reviewing a pull request.\n\n"
            "Review the diff below. For each finding give the file and line, what is wrong, "
            "why it matters, and a concrete fix. Cover correctness first, then error handling, "
            "tests, readability and performance. Say explicitly when something is good.\n\n"
            "Diff:\n{{diff}}"
        ),
        tags=("code", "review"),
        phase="production",
        provider="anthropic",
        model="claude-sonnet-4",
        temperature=0.3,
        max_tokens=2048,
        format_type="markdown",
        popularity=6,
        example={"language": "Python", "diff": "- return x\n+ return x or default"},
    ),
    PromptSpec(
        name="SQL from a question",
        folder="eng/sql",
        description="Turns a plain-English question into one SQL query.",
        content=(
            "You write SQL for DuckDB.\n\n"
            "Schema:\n{{schema}}\n\n"
            "Question: {{question}}\n\n"
            "Answer with a single SQL query in a code block, then one sentence explaining any "
            "assumption you made. Use only the tables and columns in the schema."
        ),
        tags=("sql", "data"),
        phase="production",
        provider="openai",
        model="gpt-4o",
        temperature=0.0,
        popularity=5,
        example={
            "schema": "orders(id, customer_id, total, created_at)",
            "question": "Revenue per month in 2025?",
        },
    ),
    PromptSpec(
        name="Explain a query plan",
        folder="eng/sql",
        description="Reads an EXPLAIN ANALYZE output and finds the slow part.",
        content=(
            "Here is the output of EXPLAIN ANALYZE for a slow query:\n\n{{plan}}\n\n"
            "Explain in plain language what the database is doing, which operator takes the "
            "most time and why, and suggest at most three changes (indexes, rewrites, "
            "settings) in order of expected impact."
        ),
        tags=("sql", "performance"),
        phase="draft",
        provider="ollama",
        model="qwen2.5",
        temperature=0.2,
        popularity=1,
        example={"plan": "HASH_JOIN (12.3s) ..."},
    ),
    PromptSpec(
        name="Commit message",
        folder="eng",
        description="A conventional commit message from a staged diff.",
        content=(
            "Write a git commit message for this diff.\n\n"
            "First line: imperative mood, at most 72 characters, no trailing period. "
            "Then a blank line and a short body explaining why the change was made, "
            "wrapped at 72 columns. Do not list the files changed.\n\n{{diff}}"
        ),
        tags=("code", "git"),
        phase="production",
        provider="anthropic",
        model="claude-haiku",
        temperature=0.3,
        popularity=4,
        example={"diff": "+ retries = 3"},
    ),
    PromptSpec(
        name="Support reply: refund request",
        folder="support/email",
        description="A warm, policy-accurate answer to a refund request.",
        content=(
            "You are a customer support agent for an online shop.\n\n"
            "Reply to {{customer_name}} about their refund request for order {{order_id}}. "
            "Our policy: {{policy}}\n\n"
            "Be warm and direct. If the request fits the policy, confirm the refund and say "
            "when the money arrives. If it does not, explain why in one sentence and offer an "
            'alternative. Sign off as "The Support Team". No more than 150 words.'
        ),
        tags=("support", "email", "tone"),
        phase="production",
        provider="openai",
        model="gpt-4o-mini",
        temperature=0.4,
        popularity=4,
        example={
            "customer_name": "Ada",
            "order_id": "A-1042",
            "policy": "refunds within 30 days of delivery",
        },
    ),
    PromptSpec(
        name="Support reply: bug acknowledgement",
        folder="support/email",
        description="Acknowledges a reported bug without promising dates.",
        content=(
            "Write a short email to {{customer_name}} who reported this problem: {{issue}}\n\n"
            "Thank them, restate the problem in your own words so they know we understood, "
            "say that engineering is looking into it, and ask for one specific detail that "
            "would help us reproduce it. Do not promise a fix date."
        ),
        tags=("support", "email"),
        phase="testing",
        provider="openai",
        model="gpt-4o-mini",
        temperature=0.4,
        popularity=2,
        example={"customer_name": "Grace", "issue": "export hangs at 99%"},
    ),
    PromptSpec(
        name="Paper summary",
        folder="research",
        description="A structured summary of a research paper.",
        content=(
            "Summarise the paper below for a busy practitioner.\n\n"
            "## Structure\n"
            "1. The problem, in two sentences.\n"
            "2. The method, without jargon.\n"
            "3. The main result, with the numbers that support it.\n"
            "4. Limitations the authors admit, and one they do not.\n"
            "5. Whether it is worth reading in full, and for whom.\n\n"
            "Paper:\n{{paper}}"
        ),
        tags=("research", "summary"),
        phase="production",
        provider="anthropic",
        model="claude-sonnet-4",
        temperature=0.3,
        format_type="markdown",
        popularity=3,
        example={"paper": "Attention Is All You Need (abstract) ..."},
    ),
    PromptSpec(
        name="Research gap finder",
        folder="research",
        description="Brainstorms open questions in a field.",
        content=(
            "List ten open research questions in {{field}} that a small team could make "
            "progress on within six months. For each, give one sentence on why it is still "
            "open and one on how you would start. Prefer questions with available data."
        ),
        tags=("research", "brainstorm"),
        phase="ideation",
        provider="google",
        model="gemini-2.0-flash",
        temperature=0.8,
        popularity=1,
        example={"field": "retrieval-augmented generation"},
    ),
    PromptSpec(
        name="LinkedIn launch post",
        folder="marketing/social",
        description="Announces a feature to a professional audience.",
        content=(
            "Write a LinkedIn post announcing {{feature}} in {{product}}.\n\n"
            "Open with the problem it solves, not with the product name. Use short "
            "paragraphs, at most one emoji, and end with the link {{link}} and a question "
            "that invites comments. 120-180 words."
        ),
        tags=("marketing", "social"),
        phase="testing",
        provider="openai",
        model="gpt-4o",
        temperature=0.8,
        popularity=2,
        example={
            "feature": "prompt lineage",
            "product": "promptdeck",
            "link": "https://example.com",
        },
    ),
    PromptSpec(
        name="Thread from a blog post",
        folder="marketing/social",
        description="Turns a blog post into a short social thread.",
        content=(
            "Turn this blog post into a thread of 5-7 short posts.\n"
            "The first post must stand on its own and make people want to read on; each "
            "following post carries one idea; the last links back to the full article.\n\n"
            "{{post}}"
        ),
        tags=("marketing", "social", "repurpose"),
        phase="draft",
        provider="ollama",
        model="llama3.1",
        temperature=0.7,
        popularity=1,
        example={"post": "Why we keep prompts in DuckDB ..."},
    ),
    PromptSpec(
        name="Tweet writer (280 characters)",
        folder="marketing/social",
        description="Superseded by the thread prompt.",
        content=(
            "Write a tweet of at most 280 characters about {{topic}}. Be concrete and skip "
            "the hashtags."
        ),
        tags=("marketing", "social"),
        phase="retired",
        provider="openai",
        model="gpt-4o-mini",
        temperature=0.9,
        popularity=0,
    ),
)

# (name of the prompt edited, changes, change message): applied in this order, over the weeks.
