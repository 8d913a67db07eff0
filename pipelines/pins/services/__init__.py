"""Pins' writes. `proposal_draft_create` is the entry point for other apps
(incident learnings); the rest is used by this package's tasks, views and API."""

from pipelines.pins.services.proposals import proposal_draft_create

__all__ = ["proposal_draft_create"]
