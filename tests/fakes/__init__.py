"""Fakes for external services: real HTTP servers that answer as the real ones do."""
