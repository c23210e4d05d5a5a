-- promptdeck schema: the one source of truth for the library file.
--
-- Applied idempotently by storage on open; schema_migrations records the version.
-- DuckDB has no triggers and no ON DELETE CASCADE, and its foreign keys forbid updating a
-- referenced row, so referential rules (cascades, updated_at, usage counters, relevance bumps)
-- are enforced by storage inside the same transaction as the write.
-- Never index `content`: index keys have a size limit and a 1 MB prompt must still save.

CREATE TABLE IF NOT EXISTS schema_migrations (
    version     INTEGER PRIMARY KEY,
    app_version VARCHAR NOT NULL,
    applied_at  TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS prompts (
    id                  VARCHAR PRIMARY KEY,          -- UUID v7, time ordered
    name                VARCHAR NOT NULL CHECK (length(trim(name)) > 0),
    description         VARCHAR NOT NULL DEFAULT '',
    content             VARCHAR NOT NULL CHECK (length(content) > 0),
    content_hash        VARCHAR NOT NULL,             -- sha256 hex; unique among live prompts
    folder              VARCHAR NOT NULL DEFAULT '',  -- "marketing/social"
    tags                VARCHAR[] NOT NULL DEFAULT [],
    phase               VARCHAR,
    provider            VARCHAR,
    model               VARCHAR,
    temperature         DOUBLE CHECK (temperature BETWEEN 0 AND 2),
    max_tokens          INTEGER CHECK (max_tokens > 0),
    persona             VARCHAR,
    target_model_family VARCHAR,
    format_type         VARCHAR NOT NULL DEFAULT 'auto'
                        CHECK (format_type IN ('auto', 'text', 'markdown', 'xml')),
    language            VARCHAR,
    source_type         VARCHAR NOT NULL DEFAULT 'manual'
                        CHECK (source_type IN ('manual', 'import', 'derived', 'enhanced', 'generated')),
    enhancement_method  VARCHAR,
    parent_id           VARCHAR,                      -- derivation parent (prompts.id)
    relevance_score     DOUBLE NOT NULL DEFAULT 1.0 CHECK (relevance_score BETWEEN 0 AND 1),
    usage_count         INTEGER NOT NULL DEFAULT 0 CHECK (usage_count >= 0),
    generation_count    INTEGER NOT NULL DEFAULT 0 CHECK (generation_count >= 0),
    last_used_at        TIMESTAMP,
    current_version     INTEGER NOT NULL DEFAULT 1 CHECK (current_version >= 1),
    original_input      VARCHAR,
    generation_request  JSON,
    generation_context  JSON,
    metadata            JSON NOT NULL DEFAULT '{}',
    created_at          TIMESTAMP NOT NULL,
    updated_at          TIMESTAMP NOT NULL,
    archived_at         TIMESTAMP                     -- soft delete
);

-- Every saved state of a prompt. Never rewritten: a restore writes a new version.
CREATE TABLE IF NOT EXISTS prompt_versions (
    prompt_id      VARCHAR NOT NULL,
    version        INTEGER NOT NULL CHECK (version >= 1),
    name           VARCHAR NOT NULL,
    content        VARCHAR NOT NULL,
    content_hash   VARCHAR NOT NULL,
    metadata       JSON NOT NULL,                     -- snapshot of every other editable field
    change_message VARCHAR NOT NULL DEFAULT '',
    created_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (prompt_id, version)
);

-- Named pointers to one version of a prompt (production, staging, ...), moved explicitly.
CREATE TABLE IF NOT EXISTS prompt_labels (
    prompt_id  VARCHAR NOT NULL,
    label      VARCHAR NOT NULL,
    version    INTEGER NOT NULL CHECK (version >= 1),
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (prompt_id, label)
);

-- One vector per prompt and embedding model; content_hash is what was embedded (stale check).
CREATE TABLE IF NOT EXISTS prompt_embeddings (
    prompt_id    VARCHAR NOT NULL,
    model        VARCHAR NOT NULL,
    provider     VARCHAR NOT NULL,
    dims         INTEGER NOT NULL CHECK (dims > 0),
    -- Stored raw: embeddings are high-entropy floats that DuckDB's float compression (ALPRD)
    -- makes about 40% larger, and slower to checkpoint.
    embedding    FLOAT[] USING COMPRESSION uncompressed NOT NULL CHECK (len(embedding) = dims),
    content_hash VARCHAR NOT NULL,
    created_at   TIMESTAMP NOT NULL
    -- One row per (prompt_id, model), kept so by its one writer (a batch deletes the rows it
    -- replaces). No PRIMARY KEY: DuckDB rewrites a table's whole key index at every
    -- checkpoint, about a second per 100,000 vectors, so every embedding batch that lets the
    -- file go (the TUI's, so that other processes can write) would pay it.
);

CREATE TABLE IF NOT EXISTS relationships (
    source_id  VARCHAR NOT NULL,
    target_id  VARCHAR NOT NULL CHECK (target_id <> source_id),
    type       VARCHAR NOT NULL CHECK (type IN ('derived_from', 'enhanced_from', 'similar_to',
                                                'depends_on', 'overrides', 'conflicts_with')),
    strength   DOUBLE NOT NULL DEFAULT 1.0 CHECK (strength BETWEEN 0 AND 1),
    context    VARCHAR,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (source_id, target_id, type)
);

CREATE TABLE IF NOT EXISTS enhancement_history (
    id                VARCHAR PRIMARY KEY,
    prompt_id         VARCHAR NOT NULL,               -- the new (derived or enhanced) prompt
    parent_id         VARCHAR NOT NULL,               -- the prompt it came from
    method            VARCHAR NOT NULL,
    original_content  VARCHAR NOT NULL,
    enhanced_content  VARCHAR NOT NULL,
    improvement_score DOUBLE CHECK (improvement_score BETWEEN 0 AND 1),
    provider          VARCHAR,
    model             VARCHAR,
    created_at        TIMESTAMP NOT NULL,
    run_id            VARCHAR                         -- the run whose answer it is (runs.id)
);

CREATE TABLE IF NOT EXISTS generations (
    id         VARCHAR PRIMARY KEY,
    prompt_id  VARCHAR NOT NULL,
    version    INTEGER,
    provider   VARCHAR NOT NULL,
    model      VARCHAR NOT NULL,
    tokens_in  INTEGER NOT NULL DEFAULT 0 CHECK (tokens_in >= 0),
    tokens_out INTEGER NOT NULL DEFAULT 0 CHECK (tokens_out >= 0),
    cost_usd   DOUBLE CHECK (cost_usd >= 0),
    latency_ms INTEGER CHECK (latency_ms >= 0),
    created_at TIMESTAMP NOT NULL,
    actor      VARCHAR              -- who made it (schema version 7; NULL: before that)
);

CREATE TABLE IF NOT EXISTS usage_events (
    id            VARCHAR PRIMARY KEY,
    prompt_id     VARCHAR NOT NULL,
    version       INTEGER,
    event_type    VARCHAR NOT NULL
                  CHECK (event_type IN ('copied', 'rendered', 'used', 'used_in_generation')),
    effectiveness DOUBLE CHECK (effectiveness BETWEEN 0 AND 1),
    variables     JSON,
    created_at    TIMESTAMP NOT NULL,
    actor         VARCHAR           -- who used it (schema version 7; NULL: before that)
);

CREATE TABLE IF NOT EXISTS feedback (
    id               VARCHAR PRIMARY KEY,
    prompt_id        VARCHAR NOT NULL,
    version          INTEGER,
    rating           INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    helpful          BOOLEAN,
    met_expectations BOOLEAN,
    suggestion       VARCHAR,
    comment          VARCHAR,
    created_at       TIMESTAMP NOT NULL,
    actor            VARCHAR        -- who rated (schema version 7; NULL: before that)
);

-- Typed context snippets attached to a prompt (examples, constraints, reference text).
CREATE TABLE IF NOT EXISTS context (
    id         VARCHAR PRIMARY KEY,
    prompt_id  VARCHAR NOT NULL,
    kind       VARCHAR NOT NULL,
    content    VARCHAR NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS tags (
    name       VARCHAR PRIMARY KEY,
    colour     VARCHAR,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS import_sessions (
    id          VARCHAR PRIMARY KEY,
    source      VARCHAR NOT NULL,                     -- csv, jsonl, markdown, parquet, ...
    file        VARCHAR NOT NULL,
    imported    INTEGER NOT NULL DEFAULT 0 CHECK (imported >= 0),
    skipped     INTEGER NOT NULL DEFAULT 0 CHECK (skipped >= 0),
    errors      INTEGER NOT NULL DEFAULT 0 CHECK (errors >= 0),
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);

CREATE SEQUENCE IF NOT EXISTS audit_log_seq;

CREATE TABLE IF NOT EXISTS audit_log (
    id        BIGINT PRIMARY KEY DEFAULT nextval('audit_log_seq'),
    ts        TIMESTAMP NOT NULL,
    actor     VARCHAR NOT NULL,
    action    VARCHAR NOT NULL,
    entity    VARCHAR NOT NULL,                       -- "prompt:<id>", "tag:<name>", ...
    "before"  JSON,
    "after"   JSON
);

-- Lifecycle settings of the relevance engine; values are validated by storage.
CREATE TABLE IF NOT EXISTS config (
    key         VARCHAR PRIMARY KEY,
    value       VARCHAR NOT NULL,
    description VARCHAR NOT NULL DEFAULT ''
);

INSERT OR IGNORE INTO config VALUES
    ('max_prompts', '1000', 'Soft cap: lifecycle cleanup archives the least relevant prompts beyond it'),
    ('min_relevance_score', '0.3', 'Prompts below this relevance are cleanup candidates'),
    ('relevance_decay_rate', '0.95', 'Daily multiplier applied to the relevance of unused prompts'),
    ('max_unused_days', '30', 'Days without use before a prompt can be cleaned up'),
    ('vector_similarity_threshold', '0.7', 'Cosine similarity at which a save warns of a near duplicate'),
    ('relevance_boost_on_use', '0.1', 'Relevance added (capped at 1) each time a prompt is used');

-- What a model costs per million tokens, from a day on; the price in force on a day is the
-- one with the latest effective_from on or before it. Costs are reported in USD.
CREATE TABLE IF NOT EXISTS prices (
    provider        VARCHAR NOT NULL CHECK (length(trim(provider)) > 0),
    model           VARCHAR NOT NULL CHECK (length(trim(model)) > 0),
    effective_from  DATE NOT NULL,
    input_per_mtok  DOUBLE NOT NULL CHECK (input_per_mtok >= 0),
    output_per_mtok DOUBLE NOT NULL CHECK (output_per_mtok >= 0),
    currency        VARCHAR NOT NULL DEFAULT 'USD' CHECK (currency = 'USD'),
    updated_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (provider, model, effective_from)
);

-- Each run of the relevance lifecycle; decay reads its last run day to stay idempotent.
CREATE TABLE IF NOT EXISTS lifecycle_runs (
    id      VARCHAR PRIMARY KEY,
    action  VARCHAR NOT NULL CHECK (action IN ('decay', 'cleanup', 'purge')),
    run_on  DATE NOT NULL,
    ran_at  TIMESTAMP NOT NULL,
    prompts INTEGER NOT NULL CHECK (prompts >= 0),  -- prompts decayed, archived or purged
    detail  JSON
);

-- Each time a prompt was sent to a chat model (`promptdeck run`, the TUI's run, an eval): what
-- was sent, what came back and how it ended. A run that produced an answer (ok, or cancelled
-- after text arrived) also counts as a generation: the generations row with the same id. A judge
-- scoring an eval's answer is a run of kind `judge` (schema version 8): a generation (its tokens
-- and cost), not a use of the prompt.
CREATE TABLE IF NOT EXISTS runs (
    id               VARCHAR PRIMARY KEY,              -- UUID v7
    prompt_id        VARCHAR NOT NULL,
    version          INTEGER NOT NULL CHECK (version >= 1),
    provider         VARCHAR NOT NULL,
    model            VARCHAR NOT NULL,                 -- the model asked for
    answered_by      VARCHAR,                          -- the model the API said answered
    messages         JSON NOT NULL,                    -- [{"role", "content"}] as sent
    variables        JSON NOT NULL,                    -- {"name": "value"}
    parameters       JSON NOT NULL,                    -- {"temperature", "max_tokens", "stream"}
    output           VARCHAR NOT NULL,                 -- the text received (all of it, or so far)
    finish_reason    VARCHAR,                          -- the API's own word (stop, length, ...)
    status           VARCHAR NOT NULL CHECK (status IN ('ok', 'failed', 'cancelled')),
    error            VARCHAR,                          -- a failed run's one-line reason
    tokens_in        INTEGER NOT NULL CHECK (tokens_in >= 0),
    tokens_out       INTEGER NOT NULL CHECK (tokens_out >= 0),
    tokens_estimated BOOLEAN NOT NULL,                 -- counted here (4 characters a token)
    cost_usd         DOUBLE CHECK (cost_usd >= 0),     -- by the price in force that day
    first_token_ms   INTEGER CHECK (first_token_ms >= 0),
    latency_ms       INTEGER CHECK (latency_ms >= 0),
    created_at       TIMESTAMP NOT NULL,
    actor            VARCHAR,                          -- who sent it (schema version 7)
    kind             VARCHAR DEFAULT 'prompt'          -- prompt | judge: a judge scoring an
                                                       -- eval's answer (parameters.judge.run_id)
);

-- Test cases of a prompt (issue 16): the variables to render it with and the assertions its
-- answer must pass. `case_hash` (sha256 of the canonical vars and assertions) keeps a prompt's
-- cases unique, so importing the same file again adds nothing (kept so by storage).
CREATE TABLE IF NOT EXISTS eval_cases (
    id          VARCHAR PRIMARY KEY,                  -- UUID v7
    prompt_id   VARCHAR NOT NULL,
    description VARCHAR NOT NULL DEFAULT '',
    vars        JSON NOT NULL,                        -- {"name": "value"}
    asserts     JSON NOT NULL,                        -- [{"type", "value", ...}] as given
    case_hash   VARCHAR NOT NULL,
    source      VARCHAR NOT NULL CHECK (source IN ('manual', 'import', 'run')),
    created_at  TIMESTAMP NOT NULL
);

-- Rubrics a judge model scores an answer by: weighted criteria, each scored 1..5. Library
-- objects, named in a case's `judge` assertions (name unique, kept so by storage).
CREATE TABLE IF NOT EXISTS rubrics (
    id          VARCHAR PRIMARY KEY,
    name        VARCHAR NOT NULL CHECK (length(trim(name)) > 0),
    description VARCHAR NOT NULL DEFAULT '',
    criteria    JSON NOT NULL,                        -- [{"name", "weight", "description"}]
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);

-- One `promptdeck eval` (or the TUI's): a prompt's cases x targets (version, model), run
-- `repeat` times. Counts are written when it ends. `owner` (host:pid, schema version 8) is the
-- process running it: a `running` eval whose process has gone reads as interrupted.
CREATE TABLE IF NOT EXISTS eval_runs (
    id          VARCHAR PRIMARY KEY,
    prompt_id   VARCHAR NOT NULL,
    provider    VARCHAR NOT NULL,
    targets     JSON NOT NULL,                        -- [{"version", "model"}]
    judge_model VARCHAR,
    cases       INTEGER NOT NULL CHECK (cases >= 0),
    repeat      INTEGER NOT NULL CHECK (repeat >= 1),
    only_failed BOOLEAN NOT NULL,
    status      VARCHAR NOT NULL CHECK (status IN ('running', 'done', 'cancelled', 'failed')),
    results     INTEGER NOT NULL DEFAULT 0 CHECK (results >= 0),
    passed      INTEGER NOT NULL DEFAULT 0 CHECK (passed >= 0),
    failed      INTEGER NOT NULL DEFAULT 0 CHECK (failed >= 0),
    errors      INTEGER NOT NULL DEFAULT 0 CHECK (errors >= 0),
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    owner       VARCHAR
);

-- One case against one target in an eval run: the verdict, each assertion's result (failed
-- ones with their reason, a judge's scores and reasons per criterion) and the run the model
-- call was (runs.id: its output, tokens, cost and latency). `run_id` NULL: nothing was sent
-- (the case could not be rendered).
CREATE TABLE IF NOT EXISTS eval_results (
    id          VARCHAR PRIMARY KEY,
    eval_run_id VARCHAR NOT NULL,
    case_id     VARCHAR NOT NULL,
    prompt_id   VARCHAR NOT NULL,
    version     INTEGER NOT NULL CHECK (version >= 1),
    provider    VARCHAR NOT NULL,
    model       VARCHAR NOT NULL,
    attempt     INTEGER NOT NULL CHECK (attempt >= 1),  -- 1..repeat
    run_id      VARCHAR,
    verdict     VARCHAR NOT NULL CHECK (verdict IN ('pass', 'fail', 'error')),
    error       VARCHAR,                              -- an error's one-line reason
    assertions  JSON NOT NULL,                        -- [{"type", "passed", "reason", ...}]
    judge_score DOUBLE CHECK (judge_score BETWEEN 1 AND 5),  -- mean of its judge assertions
    created_at  TIMESTAMP NOT NULL
);

-- What can be said of a prompt version without a model: length, estimated tokens, variables,
-- language, the format it looks like and whether it is valid as such. Written when asked for
-- (`promptdeck analyse`) and for each version an eval runs.
CREATE TABLE IF NOT EXISTS analysis_results (
    prompt_id        VARCHAR NOT NULL,
    version          INTEGER NOT NULL CHECK (version >= 1),
    length           INTEGER NOT NULL CHECK (length >= 0),  -- characters
    words            INTEGER NOT NULL CHECK (words >= 0),
    tokens_estimated INTEGER NOT NULL CHECK (tokens_estimated >= 0),  -- 4 characters a token
    variables        VARCHAR[] NOT NULL,
    language         VARCHAR,                         -- ISO 639-1, NULL: too little to tell
    format           VARCHAR NOT NULL CHECK (format IN ('text', 'json', 'xml', 'markdown')),
    valid            BOOLEAN NOT NULL,                -- well formed as `format`
    problem          VARCHAR,                         -- why not, with its line
    analysed_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (prompt_id, version)
);

-- Rollups (schema version 9): the event tables summed per day, what the marts below read
-- instead of millions of events. Kept by every writer of events in its own transaction, and
-- rebuilt from the raw rows after bulk loads (storage/db/rollups.py). No keys (a team library
-- has none): their one writer keeps one row per key and drops rows left with no event.
-- Per day, kind (use, rating, generation, run), actor ('': before schema 7), provider and
-- model ('' but for generations). Costs: what generations came with (`cost_usd`, over
-- `costed` of them); the tokens of the others are priced in the marts, by the day's price.
CREATE TABLE IF NOT EXISTS rollup_daily (
    day                 DATE NOT NULL,
    kind                VARCHAR NOT NULL,
    actor               VARCHAR NOT NULL,
    provider            VARCHAR NOT NULL,
    model               VARCHAR NOT NULL,
    events              BIGINT NOT NULL,
    rating_sum          BIGINT NOT NULL,
    tokens_in           BIGINT NOT NULL,
    tokens_out          BIGINT NOT NULL,
    cost_usd            DOUBLE NOT NULL,
    costed              BIGINT NOT NULL,
    uncosted_tokens_in  BIGINT NOT NULL,
    uncosted_tokens_out BIGINT NOT NULL,
    latency_ms_sum      BIGINT NOT NULL,
    timed               BIGINT NOT NULL
);

-- Per day and prompt: uses and ratings (a period's top prompts). `prompt_key` is a number
-- made from prompt_id (63 bits of its md5): finding a few prompts' rows compares numbers, not
-- millions of ids (the id is compared too, on the rows whose key matched).
CREATE TABLE IF NOT EXISTS rollup_prompt_daily (
    day        DATE NOT NULL,
    prompt_id  VARCHAR NOT NULL,
    prompt_key BIGINT NOT NULL,
    uses       BIGINT NOT NULL,
    ratings    BIGINT NOT NULL,
    rating_sum BIGINT NOT NULL
);

-- Per prompt, all time: uses and ratings (which prompts can be a period's top ones at all).
CREATE TABLE IF NOT EXISTS rollup_prompt_totals (
    prompt_id  VARCHAR NOT NULL,
    uses       BIGINT NOT NULL,
    ratings    BIGINT NOT NULL,
    rating_sum BIGINT NOT NULL
);

-- Per day and group (dim 'tag' or 'phase', key the tag or the phase, '' for none): the uses
-- and ratings of the prompts in the group now (a prompt whose tags change takes its history
-- along), archived prompts included.
CREATE TABLE IF NOT EXISTS rollup_group_daily (
    day        DATE NOT NULL,
    dim        VARCHAR NOT NULL,
    key        VARCHAR NOT NULL,
    uses       BIGINT NOT NULL,
    ratings    BIGINT NOT NULL,
    rating_sum BIGINT NOT NULL
);

-- Per group: the live prompts in it now.
CREATE TABLE IF NOT EXISTS rollup_group_prompts (
    dim     VARCHAR NOT NULL,
    key     VARCHAR NOT NULL,
    prompts BIGINT NOT NULL
);

-- Per day, provider, model, measure and millisecond (schema version 10): how many timed
-- generations took `ms` in total (measure 'total', their latency_ms), and how many of them,
-- being runs, had their first token after `ms` (measure 'first_token'). Latencies are whole
-- milliseconds, so the percentiles of any period are exact (mart.latency_by_model).
CREATE TABLE IF NOT EXISTS rollup_latency_daily (
    day      DATE NOT NULL,
    provider VARCHAR NOT NULL,
    model    VARCHAR NOT NULL,
    measure  VARCHAR NOT NULL,
    series   BIGINT NOT NULL,    -- provider, model and measure as a number (63 bits of md5)
    ms       INTEGER NOT NULL,
    events   BIGINT NOT NULL
);

-- Per day (schema version 11): the prompts created, and the versions saved after the first
-- (edits), of the prompts there are now (a deleted prompt takes its days along).
CREATE TABLE IF NOT EXISTS rollup_authored_daily (
    day     DATE NOT NULL,
    created BIGINT NOT NULL,
    edited  BIGINT NOT NULL
);

-- Analytics: the analytics screen and `promptdeck stats` read only these views (which read the rollups
-- above, not the events, wherever a sum will do). Views with a
-- `day` column are daily series: a period is a filter on `day`, summed.
CREATE SCHEMA IF NOT EXISTS mart;

-- Library-wide counts (now, not per period).
CREATE OR REPLACE VIEW mart.library_summary AS
SELECT (SELECT count(*) FROM prompts WHERE archived_at IS NULL)     AS prompts,
       (SELECT count(*) FROM prompts WHERE archived_at IS NOT NULL) AS archived,
       (SELECT count(*) FROM prompt_versions)                       AS versions,
       (SELECT count(DISTINCT folder) FROM prompts
         WHERE folder <> '' AND archived_at IS NULL)                AS folders,
       (SELECT count(DISTINCT tag) FROM (
           SELECT unnest(tags) AS tag FROM prompts WHERE archived_at IS NULL))
                                                                    AS tags;

-- Per day: prompts created, versions saved after the first (edits), usage events, ratings.
CREATE OR REPLACE VIEW mart.daily_activity AS
SELECT day,
       CAST(sum(created) AS BIGINT)    AS created,
       CAST(sum(edited) AS BIGINT)     AS edited,
       CAST(sum(used) AS BIGINT)       AS used,
       CAST(sum(ratings) AS BIGINT)    AS ratings,
       CAST(sum(rating_sum) AS BIGINT) AS rating_sum
FROM (
    SELECT day, created, edited, 0 AS used, 0 AS ratings, 0 AS rating_sum
    FROM rollup_authored_daily
    UNION ALL
    SELECT day, 0, 0, coalesce(sum(events) FILTER (WHERE kind = 'use'), 0),
           coalesce(sum(events) FILTER (WHERE kind = 'rating'), 0), sum(rating_sum)
    FROM rollup_daily WHERE kind IN ('use', 'rating') GROUP BY 1
)
GROUP BY day;

-- Every generation with its cost: the cost the source gave, else tokens times the price in
-- force on the generation's day (prices.effective_from <= day, the latest such); NULL when
-- neither is known (`cost_from` NULL). Priced here, not on insert, so that a price set or
-- corrected later applies; only generations without a cost go through the price lookup.
CREATE OR REPLACE VIEW mart.generation_costs AS
SELECT id, prompt_id, CAST(created_at AS DATE) AS day, provider, model, tokens_in, tokens_out,
       latency_ms, cost_usd, 'source' AS cost_from, CAST(NULL AS DATE) AS price_from, actor
FROM generations
WHERE cost_usd IS NOT NULL
UNION ALL
SELECT g.id, g.prompt_id, CAST(g.created_at AS DATE), g.provider, g.model, g.tokens_in,
       g.tokens_out, g.latency_ms,
       (g.tokens_in * p.input_per_mtok + g.tokens_out * p.output_per_mtok) / 1e6,
       CASE WHEN p.effective_from IS NOT NULL THEN 'price' END,
       p.effective_from, g.actor
FROM (SELECT * FROM generations WHERE cost_usd IS NULL) g
ASOF LEFT JOIN prices p
  ON g.provider = p.provider AND g.model = p.model
 AND CAST(g.created_at AS DATE) >= p.effective_from;

-- Per day, actor, provider and model, from rollup_daily: generations, tokens, and their cost
-- as mart.generation_costs has it (the cost they came with, else their tokens by the price in
-- force on the day; `unpriced`: generations with neither), summed.
CREATE OR REPLACE VIEW mart.daily_generations AS
SELECT r.day, r.actor, r.provider, r.model,
       r.events                                          AS generations,
       r.tokens_in,
       r.tokens_out,
       r.cost_usd + CASE WHEN p.effective_from IS NULL THEN 0
                         ELSE (r.uncosted_tokens_in * p.input_per_mtok
                               + r.uncosted_tokens_out * p.output_per_mtok) / 1e6 END
                                                         AS cost_usd,
       CASE WHEN p.effective_from IS NULL THEN r.events - r.costed ELSE 0 END AS unpriced,
       r.latency_ms_sum,
       r.timed
FROM (SELECT * FROM rollup_daily WHERE kind = 'generation') r
ASOF LEFT JOIN prices p
  ON r.provider = p.provider AND r.model = p.model AND r.day >= p.effective_from;

-- Per day, provider and model: generations, tokens, cost (USD) and latency.
CREATE OR REPLACE VIEW mart.usage_by_model AS
SELECT day,
       provider,
       model,
       CAST(sum(generations) AS BIGINT)            AS generations,
       CAST(sum(tokens_in) AS BIGINT)              AS tokens_in,
       CAST(sum(tokens_out) AS BIGINT)             AS tokens_out,
       sum(cost_usd)                               AS cost_usd,
       CAST(sum(unpriced) AS BIGINT)               AS unpriced,
       sum(latency_ms_sum) / nullif(sum(timed), 0) AS avg_latency_ms
FROM mart.daily_generations
GROUP BY ALL;

-- Per provider and model, from a day on (`since`, inclusive; NULL: all time): how long answers
-- took, as percentiles over the generations that were timed (total latency) and over the runs
-- among them (time to the first token). Read from the histogram in rollup_latency_daily, and
-- exactly what quantile_cont gives over the generations: for each percentile q of n values,
-- the values at ranks floor and ceil of q * (n - 1) (the first millisecond whose running count
-- passes the rank), interpolated as quantile_cont does (to the same double).
CREATE OR REPLACE MACRO mart.latency_by_model(since) AS TABLE
WITH counts AS (  -- grouped by the number `series`, not by three strings: 2-3 times faster
    SELECT series, ms, sum(events) AS n
    FROM rollup_latency_daily
    WHERE since IS NULL OR day >= CAST(since AS DATE)
    GROUP BY series, ms
),
running AS (
    SELECT *, sum(n) OVER (PARTITION BY series ORDER BY ms) AS upto,
           sum(n) OVER (PARTITION BY series) AS total
    FROM counts
),
ranks AS (
    SELECT *, CAST(total - 1 AS DOUBLE) * 0.5 AS r50, CAST(total - 1 AS DOUBLE) * 0.95 AS r95
    FROM running
),
bounds AS (
    SELECT series,
           CAST(any_value(total) AS BIGINT)           AS total,
           any_value(r50) - floor(any_value(r50))     AS f50,
           any_value(r95) - floor(any_value(r95))     AS f95,
           min(ms) FILTER (WHERE upto > floor(r50))   AS lo50,
           min(ms) FILTER (WHERE upto > ceil(r50))    AS hi50,
           min(ms) FILTER (WHERE upto > floor(r95))   AS lo95,
           min(ms) FILTER (WHERE upto > ceil(r95))    AS hi95
    FROM ranks
    GROUP BY series
),
percentiles AS (
    SELECT series, total,
           CAST(lo50 AS DOUBLE) * (1 - f50) + CAST(hi50 AS DOUBLE) * f50 AS p50,
           CAST(lo95 AS DOUBLE) * (1 - f95) + CAST(hi95 AS DOUBLE) * f95 AS p95
    FROM bounds
),
-- Each provider and model that has generations (rollup_daily: a few hundred rows) with the
-- series of its two measures (the expression rollups.series_key writes).
models AS (
    SELECT provider, model,
           CAST(md5_number_lower(provider || chr(0) || model || chr(0) || 'total') >> 1
                AS BIGINT) AS total_series,
           CAST(md5_number_lower(provider || chr(0) || model || chr(0) || 'first_token') >> 1
                AS BIGINT) AS first_series
    FROM (SELECT DISTINCT provider, model FROM rollup_daily WHERE kind = 'generation')
)
SELECT m.provider,
       m.model,
       t.total                   AS timed,
       t.p50                     AS p50_ms,
       t.p95                     AS p95_ms,
       coalesce(f.total, 0)      AS runs,
       f.p50                     AS first_token_p50_ms,
       f.p95                     AS first_token_p95_ms
FROM models m
JOIN percentiles t ON t.series = m.total_series
LEFT JOIN percentiles f ON f.series = m.first_series;

-- Per actor (who did it; '' for events recorded before schema version 7), from a day on
-- (`since`, inclusive; NULL: all time): uses, ratings and their average, generations with
-- their tokens and cost, and runs. A table macro: the period filters rollup_daily's days
-- before they are grouped per actor.
CREATE OR REPLACE MACRO mart.actor_activity(since) AS TABLE
SELECT actor,
       CAST(coalesce(sum(events) FILTER (WHERE kind = 'use'), 0) AS BIGINT)        AS uses,
       CAST(coalesce(sum(events) FILTER (WHERE kind = 'rating'), 0) AS BIGINT)     AS ratings,
       sum(rating_sum) FILTER (WHERE kind = 'rating')
           / nullif(sum(events) FILTER (WHERE kind = 'rating'), 0)                  AS avg_rating,
       CAST(coalesce(sum(events) FILTER (WHERE kind = 'generation'), 0) AS BIGINT) AS generations,
       CAST(coalesce(sum(tokens), 0) AS BIGINT)                                    AS tokens,
       coalesce(sum(cost_usd), 0)                                                  AS cost_usd,
       CAST(coalesce(sum(events) FILTER (WHERE kind = 'run'), 0) AS BIGINT)        AS runs
FROM (
    SELECT day, kind, actor, events, rating_sum, NULL::BIGINT AS tokens, NULL::DOUBLE AS cost_usd
    FROM rollup_daily WHERE kind <> 'generation'
    UNION ALL
    SELECT day, 'generation', actor, generations, 0, tokens_in + tokens_out, cost_usd
    FROM mart.daily_generations
) e
WHERE since IS NULL OR e.day >= CAST(since AS DATE)
GROUP BY actor;

CREATE OR REPLACE VIEW mart.prompt_ratings AS
SELECT prompt_id,
       count(*)                       AS ratings,
       avg(rating)                    AS avg_rating,
       CAST(sum(rating) AS BIGINT)    AS rating_sum
FROM feedback
GROUP BY prompt_id;

-- Every prompt with what happened to it from a day on (`since`, inclusive; NULL: all time):
-- uses and ratings in that period, from rollup_prompt_daily (all time: rollup_prompt_totals).
-- A table macro, not a view: the period filters the days before they are grouped.
CREATE OR REPLACE MACRO mart.prompt_activity(since) AS TABLE
SELECT p.id,
       p.name,
       coalesce(p.phase, '')                     AS phase,
       p.tags,
       p.archived_at IS NOT NULL                 AS archived,
       coalesce(a.uses, 0)                       AS uses,
       coalesce(a.ratings, 0)                    AS ratings,
       coalesce(a.rating_sum, 0)                 AS rating_sum,
       a.rating_sum / nullif(a.ratings, 0)       AS avg_rating,
       p.last_used_at
FROM prompts p
LEFT JOIN (
    SELECT prompt_id, uses, ratings, rating_sum FROM rollup_prompt_totals WHERE since IS NULL
    UNION ALL
    SELECT prompt_id,
           CAST(sum(uses) AS BIGINT),
           CAST(sum(ratings) AS BIGINT),
           CAST(sum(rating_sum) AS BIGINT)
    FROM rollup_prompt_daily
    WHERE since IS NOT NULL AND day >= CAST(since AS DATE)
    GROUP BY prompt_id
) a ON a.prompt_id = p.id;

-- Per tag and per phase (`dim`), from a day on (`since`; NULL: all time): the live prompts in
-- it now, and the uses and ratings in the period of the prompts in it now (archived ones
-- included). Groups with neither a live prompt nor a use are left out. Read from the group
-- rollups: a few thousand rows however many prompts and events there are.
CREATE OR REPLACE MACRO mart.group_activity(since) AS TABLE
SELECT dim,
       key,
       CAST(coalesce(max(prompts), 0) AS BIGINT)       AS prompts,
       CAST(coalesce(sum(uses), 0) AS BIGINT)          AS uses,
       CAST(coalesce(sum(ratings), 0) AS BIGINT)       AS ratings,
       sum(rating_sum) / nullif(sum(ratings), 0)       AS avg_rating
FROM (
    SELECT dim, key, prompts, NULL::BIGINT AS uses, NULL::BIGINT AS ratings,
           NULL::BIGINT AS rating_sum
    FROM rollup_group_prompts
    UNION ALL
    SELECT dim, key, NULL, uses, ratings, rating_sum
    FROM rollup_group_daily
    WHERE since IS NULL OR day >= CAST(since AS DATE)
)
GROUP BY dim, key
HAVING coalesce(max(prompts), 0) > 0 OR coalesce(sum(uses), 0) > 0;

-- Per tag, all time: live prompts carrying it, their uses, and the average of their ratings
-- (every rating counts once: a prompt rated ten times weighs ten times).
CREATE OR REPLACE VIEW mart.tag_stats AS
SELECT p.tag,
       count(*)                                   AS prompts,
       CAST(sum(p.usage_count) AS BIGINT)         AS uses,
       CAST(coalesce(sum(r.ratings), 0) AS BIGINT) AS ratings,
       sum(r.rating_sum) / sum(r.ratings)         AS avg_rating,
       any_value(t.colour)                        AS colour
FROM (SELECT id, usage_count, unnest(tags) AS tag FROM prompts WHERE archived_at IS NULL) p
LEFT JOIN mart.prompt_ratings r ON r.prompt_id = p.id
LEFT JOIN tags t ON t.name = p.tag
GROUP BY p.tag;

-- Per phase, all time, over live prompts ('' for prompts without a phase).
CREATE OR REPLACE VIEW mart.phase_stats AS
SELECT coalesce(p.phase, '')                       AS phase,
       count(*)                                    AS prompts,
       CAST(sum(p.usage_count) AS BIGINT)          AS uses,
       CAST(coalesce(sum(r.ratings), 0) AS BIGINT) AS ratings,
       sum(r.rating_sum) / sum(r.ratings)          AS avg_rating
FROM prompts p
LEFT JOIN mart.prompt_ratings r ON r.prompt_id = p.id
WHERE p.archived_at IS NULL
GROUP BY 1;

CREATE OR REPLACE VIEW mart.prompt_scorecard AS
SELECT p.id,
       p.name,
       p.folder,
       p.phase,
       p.current_version                                AS versions,
       p.usage_count                                    AS uses,
       p.last_used_at,
       r.avg_rating,
       coalesce(r.ratings, 0)                           AS ratings,
       coalesce(c.children, 0)                          AS children,
       p.relevance_score,
       p.archived_at IS NOT NULL                        AS archived
FROM prompts p
LEFT JOIN mart.prompt_ratings r ON r.prompt_id = p.id
LEFT JOIN (SELECT parent_id, count(*) AS children FROM prompts
           WHERE parent_id IS NOT NULL GROUP BY parent_id) c ON c.parent_id = p.id;

-- Live prompts ranked by uses (ties: name), and by average rating (ties: more ratings, name).
CREATE OR REPLACE VIEW mart.top_prompts_by_use AS
SELECT row_number() OVER (ORDER BY uses DESC, name, id) AS rank,
       id, name, uses, avg_rating, ratings, last_used_at
FROM mart.prompt_scorecard
WHERE NOT archived AND uses > 0;

CREATE OR REPLACE VIEW mart.top_prompts_by_rating AS
SELECT row_number() OVER (ORDER BY avg_rating DESC, ratings DESC, name, id) AS rank,
       id, name, uses, avg_rating, ratings, last_used_at
FROM mart.prompt_scorecard
WHERE NOT archived AND ratings > 0;

-- How many ratings of each value, 1 to 5 (zeros included).
CREATE OR REPLACE VIEW mart.rating_distribution AS
SELECT CAST(s.rating AS INTEGER)   AS rating,
       coalesce(f.ratings, 0)      AS ratings
FROM (SELECT range AS rating FROM range(1, 6)) s
LEFT JOIN (SELECT rating, count(*) AS ratings FROM feedback GROUP BY rating) f
  ON f.rating = s.rating
ORDER BY s.rating;

-- Derivation trees: every prompt with its parent, root, depth (generations below the root),
-- number of children and the id path from the root. A prompt whose parent is gone counts as
-- a root. The walk starts at roots and each prompt has one parent, so it cannot loop.
CREATE OR REPLACE VIEW mart.lineage AS
WITH RECURSIVE walk(id, parent_id, root_id, depth, path) AS (
    SELECT id, NULL::VARCHAR, id, 0, [id]
    FROM prompts
    WHERE parent_id IS NULL OR parent_id NOT IN (SELECT id FROM prompts)
    UNION ALL
    SELECT c.id, c.parent_id, w.root_id, w.depth + 1, list_append(w.path, c.id)
    FROM prompts c
    JOIN walk w ON c.parent_id = w.id
)
SELECT w.id, w.parent_id, w.root_id, w.depth,
       (SELECT count(*) FROM prompts c WHERE c.parent_id = w.id) AS children, w.path
FROM walk w;

-- Every eval run per target with its results' figures (an eval's history). `complete`: the eval
-- ran to its end over all its cases (status done, not failed-only); a failed-only, cancelled,
-- failed or still running (or interrupted) one is listed with its status but is not complete.
-- pass_rate counts errors as not passing; judge_score is the mean over results judged; cost_usd
-- is the answers', judge_cost_usd the judges' (runs of kind judge, each counted once).
CREATE OR REPLACE VIEW mart.eval_history AS
SELECT e.eval_run_id,
       e.prompt_id,
       p.name                                              AS prompt_name,
       e.version,
       e.provider,
       e.model,
       min(x.started_at)                                   AS started_at,
       any_value(x.status)                                 AS status,
       any_value(x.only_failed)                            AS only_failed,
       any_value(x.status = 'done' AND NOT x.only_failed)  AS complete,
       count(*)                                            AS results,
       count(DISTINCT e.case_id)                           AS cases,
       count(*) FILTER (WHERE e.verdict = 'pass')          AS passed,
       count(*) FILTER (WHERE e.verdict = 'fail')          AS failed,
       count(*) FILTER (WHERE e.verdict = 'error')         AS errors,
       count(*) FILTER (WHERE e.verdict = 'pass') / count(*) AS pass_rate,
       count(e.judge_score)                                AS judged,
       avg(e.judge_score)                                  AS judge_score,
       sum(r.cost_usd)                                     AS cost_usd,  -- NULL: none priced
       count(*) FILTER (WHERE r.id IS NOT NULL AND r.cost_usd IS NULL) AS unpriced,
       count(r.latency_ms)                                 AS timed,
       avg(r.latency_ms)                                   AS avg_latency_ms,
       CAST(sum(coalesce(r.tokens_in, 0) + coalesce(r.tokens_out, 0)) AS BIGINT) AS tokens,
       sum(j.cost_usd)                                     AS judge_cost_usd,
       CAST(coalesce(sum(j.tokens), 0) AS BIGINT)          AS judge_tokens
FROM eval_results e
JOIN eval_runs x ON x.id = e.eval_run_id
LEFT JOIN runs r ON r.id = e.run_id
LEFT JOIN (
    SELECT json_extract_string(parameters, '$.judge.run_id') AS judged_run,
           sum(cost_usd)                                   AS cost_usd,
           sum(tokens_in + tokens_out)                     AS tokens
    FROM runs WHERE kind = 'judge' GROUP BY 1
) j ON j.judged_run = e.run_id
LEFT JOIN prompts p ON p.id = e.prompt_id
GROUP BY e.eval_run_id, e.prompt_id, p.name, e.version, e.provider, e.model;

-- Per prompt version, provider and model, over the complete eval runs only (each ran every case
-- to its end; see eval_history): pass rate, mean judge score, cost and latency per result, the
-- judges' cost, and the latest complete eval run's pass rate (the scorecard now).
CREATE OR REPLACE VIEW mart.eval_scorecard AS
SELECT prompt_id,
       any_value(prompt_name)                              AS prompt_name,
       version,
       provider,
       model,
       count(*)                                            AS eval_runs,
       CAST(sum(results) AS BIGINT)                        AS results,
       CAST(sum(passed) AS BIGINT)                         AS passed,
       CAST(sum(failed) AS BIGINT)                         AS failed,
       CAST(sum(errors) AS BIGINT)                         AS errors,
       sum(passed) / sum(results)                          AS pass_rate,
       sum(judge_score * judged) / nullif(sum(judged), 0)  AS judge_score,
       sum(cost_usd) / sum(results)                        AS cost_per_result,
       sum(avg_latency_ms * timed) / nullif(sum(timed), 0) AS avg_latency_ms,
       sum(judge_cost_usd)                                 AS judge_cost_usd,
       max(started_at)                                     AS last_eval_at,
       arg_max(pass_rate, started_at)                      AS last_pass_rate
FROM mart.eval_history
WHERE complete
GROUP BY prompt_id, version, provider, model;
