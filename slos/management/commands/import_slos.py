"""python manage.py import_slos FILE… --domain SLUG [--dry-run]

OpenSLO (v1, v1alpha), Sloth (prometheus/v1) or Pyrra files. A file with any
error is refused whole, with every error and its place; the same file imported
again changes nothing; a changed definition prints its diff."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from dashboard.domains.models import Domain
from slos.services import slos_import
from slos.specs import SpecsRefused


class Command(BaseCommand):
    help = "Import SLO definitions (OpenSLO, Sloth, Pyrra) into a domain."

    def add_arguments(self, parser) -> None:
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--domain", required=True)
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, files: list[Path], domain: str, dry_run: bool, **options):
        target = Domain.objects.filter(slug=domain).first()
        if target is None:
            raise CommandError(
                f"No domain {domain!r} (python manage.py create_domain)."
            )
        refused = False
        for path in files:
            try:
                outcome = slos_import(
                    domain=target,
                    text=path.read_text(encoding="utf-8"),
                    actor_label="manage.py import_slos",
                    dry_run=dry_run,
                )
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"{path}: {exc}") from exc
            except SpecsRefused as exc:
                refused = True
                for error in exc.errors:
                    self.stderr.write(f"{path}: {error}")
                continue
            verb = "would change" if dry_run else "changed"
            self.stdout.write(
                f"{path}: {outcome.count('created')} new, "
                f"{outcome.count('updated')} {verb}, "
                f"{outcome.count('unchanged')} unchanged"
            )
            for name, diff in outcome.diffs.items():
                for field, (before, after) in diff.items():
                    self.stdout.write(f"  {name}.{field}: {before!r} -> {after!r}")
        if refused:
            raise CommandError("Some files were refused; nothing of them was stored.")
