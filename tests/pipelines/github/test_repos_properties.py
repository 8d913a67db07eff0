"""Property: whatever sequence of commits the control plane writes, GitHub
(the fake, through real PyGithub) then holds exactly those files, and
`changed_files` between two commits names exactly what differs."""

import itertools

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.github import repos

pytest_plugins = ["tests.fakes.plugin"]

PATHS = ["pins.yaml", "deploy/a.yaml", "deploy/b.yaml", "deploy/nested/c.txt"]
TEXT = st.text(alphabet="abc: \n-é", min_size=0, max_size=20)
# One commit: some paths get new text, some existing ones are deleted.
CHANGE = st.dictionaries(st.sampled_from(PATHS), st.one_of(st.none(), TEXT), min_size=1)
_counter = itertools.count()


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(changes=st.lists(CHANGE, min_size=1, max_size=4))
def test_github_holds_what_was_committed(fake_github, changes):
    repo = f"octo-org/prop-{next(_counter)}"
    model = {"pins.yaml": "start\n"}
    sha = fake_github.push(repo, "main", dict(model))
    for change in changes:
        # GitHub refuses to delete what is not there; the caller knows its files.
        change = {p: t for p, t in change.items() if t is not None or p in model}
        if not change:
            continue
        before, old = sha, dict(model)
        sha = repos.commit_files(
            repo, branch="main", base_sha=sha, files=change, message="change"
        )
        for path, text in change.items():
            if text is None:
                model.pop(path, None)
            else:
                model[path] = text

        for path in PATHS:
            found = repos.file_at(repo, path, sha)
            assert (found.content.decode() if found else None) == model.get(path)
        differs = {p for p in set(old) | set(model) if old.get(p) != model.get(p)}
        changed = repos.changed_files(repo, before, sha)
        names = {c.filename for c in changed} | {
            c.previous_filename for c in changed if c.previous_filename
        }
        assert names == differs
    assert repos.branch_sha(repo, "main") == sha
