from django.apps import AppConfig


class SlosConfig(AppConfig):
    name = "slos"
