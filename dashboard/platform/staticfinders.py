"""Static files that live inside installed packages, served by whitenoise.

plotly ships plotly.min.js in its package data; this finder exposes exactly that
file as static/plotly/plotly.min.js (nothing else from the folder), so it is
collected, fingerprinted and cached like our own assets. No CDN.
"""

from pathlib import Path

import plotly
from django.contrib.staticfiles.finders import BaseFinder
from django.core.files.storage import FileSystemStorage

PLOTLY_DIR = Path(plotly.__file__).parent / "package_data"

# static path -> (folder, file name in that folder)
PACKAGE_FILES = {"plotly/plotly.min.js": (PLOTLY_DIR, "plotly.min.js")}


class PackageFileFinder(BaseFinder):
    def find(self, path: str, find_all: bool = False, **kwargs):
        match = PACKAGE_FILES.get(path)
        if match is None:
            return [] if find_all else None
        found = str(match[0] / match[1])
        return [found] if find_all else found

    def list(self, ignore_patterns):
        for static_path, (folder, name) in PACKAGE_FILES.items():
            storage = FileSystemStorage(location=str(folder))
            storage.prefix = static_path.rsplit("/", 1)[0]
            yield name, storage

    def check(self, **kwargs) -> list:
        return []
