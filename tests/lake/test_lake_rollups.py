"""The rollups of a team library: two clients adding to the same rollup rows at once lose no
increment (each write adds inside its advisory-locked transaction), and a delete takes its
events away (the latency histogram's too), as on a library file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from storage import Library
from tests.helpers import rollup_mismatches
from tests.lake.conftest import Lake

ROOT = Path(__file__).resolve().parents[2]
USES = 10  # per writer, each a use and a rating of the same prompt


def test_two_clients_lose_no_rollup_increment(lake: Lake) -> None:
    with Library(lake.db, lake_data=str(lake.data)) as lib:
        lib.prompts.create("common", "the prompt every writer uses")
        lib.prompts.create("gone", "a prompt used, then deleted")
        lib.usage.record("gone")
        lib.costs.log_generation(
            "gone", provider="openai", model="gpt-4o", tokens_in=5, tokens_out=9, latency_ms=700
        )
    writers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.lake.use_writer", lake.db, name, str(USES)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("ana", "bo")
    ]
    outputs = [w.communicate(timeout=300) for w in writers]
    assert [w.returncode for w in writers] == [0, 0], [err for _, err in outputs]
    with Library(lake.db, lake_data=str(lake.data)) as lib:
        latency = [(m.model, m.timed, m.p50_ms) for m in lib.analytics.latency()]
        assert latency == [("gpt-4o", 1, 700.0)]  # from the lake's latency histogram
        lib.prompts.delete("gone")
        with lib.db.read() as con:
            assert rollup_mismatches(con) == []
            found = con.execute(
                "SELECT sum(uses), sum(ratings) FROM rollup_prompt_daily r "
                "JOIN prompts p ON p.id = r.prompt_id WHERE p.name = 'common'"
            ).fetchone()
        assert found == (2 * USES, 2 * USES)
        assert lib.analytics.kpis("all").uses == 2 * USES
        assert lib.analytics.kpis("all").generations == 0
        assert lib.analytics.latency() == []
