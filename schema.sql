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
    embedding    FLOAT[] NOT NULL CHECK (len(embedding) = dims),
    content_hash VARCHAR NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (prompt_id, model)
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
    created_at        TIMESTAMP NOT NULL
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
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS usage_events (
    id            VARCHAR PRIMARY KEY,
    prompt_id     VARCHAR NOT NULL,
    version       INTEGER,
    event_type    VARCHAR NOT NULL
                  CHECK (event_type IN ('copied', 'rendered', 'used', 'used_in_generation')),
    effectiveness DOUBLE CHECK (effectiveness BETWEEN 0 AND 1),
    variables     JSON,
    created_at    TIMESTAMP NOT NULL
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
    created_at       TIMESTAMP NOT NULL
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

-- Analytics: the analytics screen and `promptdeck stats` read only these views.
CREATE SCHEMA IF NOT EXISTS mart;

CREATE OR REPLACE VIEW mart.daily_activity AS
WITH created AS (
    SELECT CAST(created_at AS DATE) AS day, count(*) AS n FROM prompts GROUP BY 1
), edited AS (
    SELECT CAST(created_at AS DATE) AS day, count(*) AS n FROM prompt_versions
    WHERE version > 1 GROUP BY 1
), used AS (
    SELECT CAST(created_at AS DATE) AS day, count(*) AS n FROM usage_events GROUP BY 1
), days AS (
    SELECT day FROM created UNION SELECT day FROM edited UNION SELECT day FROM used
)
SELECT days.day,
       coalesce(created.n, 0) AS created,
       coalesce(edited.n, 0)  AS edited,
       coalesce(used.n, 0)    AS used
FROM days
LEFT JOIN created USING (day)
LEFT JOIN edited USING (day)
LEFT JOIN used USING (day);

CREATE OR REPLACE VIEW mart.usage_by_model AS
SELECT CAST(created_at AS DATE) AS day,
       provider,
       model,
       count(*)                    AS generations,
       sum(tokens_in)              AS tokens_in,
       sum(tokens_out)             AS tokens_out,
       coalesce(sum(cost_usd), 0)  AS cost_usd,
       avg(latency_ms)             AS avg_latency_ms
FROM generations
GROUP BY ALL;

CREATE OR REPLACE VIEW mart.prompt_ratings AS
SELECT prompt_id, count(*) AS ratings, avg(rating) AS avg_rating
FROM feedback
GROUP BY prompt_id;

CREATE OR REPLACE VIEW mart.tag_stats AS
SELECT tag,
       count(*)                     AS prompts,
       sum(p.usage_count)           AS uses,
       avg(r.avg_rating)            AS avg_rating,
       any_value(t.colour)          AS colour
FROM (SELECT id, usage_count, unnest(tags) AS tag FROM prompts WHERE archived_at IS NULL) p
LEFT JOIN mart.prompt_ratings r ON r.prompt_id = p.id
LEFT JOIN tags t ON t.name = p.tag
GROUP BY tag;

CREATE OR REPLACE VIEW mart.phase_stats AS
SELECT coalesce(phase, '') AS phase,
       count(*)            AS prompts,
       sum(usage_count)    AS uses,
       avg(r.avg_rating)   AS avg_rating
FROM prompts p
LEFT JOIN mart.prompt_ratings r ON r.prompt_id = p.id
WHERE archived_at IS NULL
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
       (SELECT count(*) FROM prompts c WHERE c.parent_id = p.id) AS children,
       p.relevance_score,
       p.archived_at IS NOT NULL                        AS archived
FROM prompts p
LEFT JOIN mart.prompt_ratings r ON r.prompt_id = p.id;

CREATE OR REPLACE VIEW mart.rating_distribution AS
SELECT rating, count(*) AS ratings FROM feedback GROUP BY rating;

-- Derivation trees: every prompt with its root, depth and the id path from the root.
-- A prompt whose parent is gone counts as a root.
CREATE OR REPLACE VIEW mart.lineage AS
WITH RECURSIVE walk(id, root_id, depth, path) AS (
    SELECT id, id, 0, [id]
    FROM prompts
    WHERE parent_id IS NULL OR parent_id NOT IN (SELECT id FROM prompts)
    UNION ALL
    SELECT c.id, w.root_id, w.depth + 1, list_append(w.path, c.id)
    FROM prompts c
    JOIN walk w ON c.parent_id = w.id
)
SELECT id, root_id, depth, path FROM walk;
