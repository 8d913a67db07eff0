"""Copy-ready snippets for the token page: how a CI job or a shell sends data to
this control plane (curl, a GitHub Actions step). Plain text, built here so the
template language never meets GitHub's own `${{ }}` expressions."""

from dataclasses import dataclass

# Text shown to people for their CI, never run here.
PSQL_EXPLAIN = (
    '    psql "$DATABASE_URL" -qAtc '
    "'EXPLAIN (FORMAT JSON) SELECT * FROM orders WHERE id = 1' > plan.json\n"
)


@dataclass(frozen=True)
class Snippet:
    key: str
    title: str
    text: str


def ci_snippets(*, base_url: str, repository: str, token: str = "") -> list[Snippet]:
    """`base_url` without a trailing slash; `token` only right after it was
    issued (the one moment it is known), else an environment variable."""
    api = f"{base_url}/api/v1"
    export = (
        f"export CONTROLPLANE_TOKEN='{token}'\n"
        if token
        else "export CONTROLPLANE_TOKEN=...   # an ingest token with the ci scope\n"
    )
    auth = '-H "Authorization: Bearer $CONTROLPLANE_TOKEN"'
    return [
        Snippet(
            "curl-junit",
            "Upload a JUnit report (curl)",
            export + f"curl -sS -X POST {auth} \\\n"
            "  -H 'Content-Type: application/xml' --data-binary @junit.xml \\\n"
            f"  '{api}/ci/junit?provider=github_actions&external_id=RUN_ID"
            f"&attempt=1&repository={repository}'\n",
        ),
        Snippet(
            "actions-junit",
            "GitHub Actions step: upload the JUnit report",
            "- name: Send test results to the control plane\n"
            "  if: always()\n"
            "  env:\n"
            "    CONTROLPLANE_TOKEN: ${{ secrets.CONTROLPLANE_TOKEN }}\n"
            "  run: |\n"
            f"    curl -sS --fail-with-body -X POST {auth} \\\n"
            "      -F file=@junit.xml \\\n"
            "      -F provider=github_actions \\\n"
            "      -F external_id=${{ github.run_id }} \\\n"
            "      -F attempt=${{ github.run_attempt }} \\\n"
            "      -F repository=${{ github.repository }} \\\n"
            "      -F commit_sha=${{ github.sha }} \\\n"
            f"      {api}/ci/junit\n",
        ),
        Snippet(
            "actions-perf",
            "GitHub Actions step: a performance sample",
            "- name: Send the benchmark's figures\n"
            "  env:\n"
            "    CONTROLPLANE_TOKEN: ${{ secrets.CONTROLPLANE_TOKEN }}\n"
            "  run: |\n"
            f"    curl -sS --fail-with-body -X POST {auth} \\\n"
            "      -H 'Content-Type: application/json' \\\n"
            "      -H 'Idempotency-Key: perf-${{ github.run_id }}-checkout' \\\n"
            '      -d \'{"repository": "${{ github.repository }}", '
            '"commit_sha": "${{ github.sha }}", '
            '"branch": "${{ github.ref_name }}", "scenario": "checkout", '
            '"p50_ms": 42, "p95_ms": 180, "p99_ms": 260, '
            '"peak_memory_mb": 310, "sample_count": 1000}\' \\\n'
            f"      {api}/perf\n",
        ),
        Snippet(
            "actions-plan",
            "GitHub Actions step: a query plan",
            "- name: Send the plan of a hot query\n"
            "  env:\n"
            "    CONTROLPLANE_TOKEN: ${{ secrets.CONTROLPLANE_TOKEN }}\n"
            "  run: |\n" + PSQL_EXPLAIN + "    jq -n --slurpfile plan plan.json "
            '\'{repository: "${{ github.repository }}", '
            'commit_sha: "${{ github.sha }}", branch: "${{ github.ref_name }}", '
            'query_name: "order_by_id", plan: $plan[0]}\' |\n'
            f"    curl -sS --fail-with-body -X POST {auth} \\\n"
            "      -H 'Content-Type: application/json' --data-binary @- \\\n"
            f"      {api}/query-plans\n",
        ),
    ]
