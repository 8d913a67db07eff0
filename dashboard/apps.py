from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = "Domains and dashboard"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.db.models.signals import m2m_changed, post_delete, post_save
        from guardian.models import GroupObjectPermission, UserObjectPermission

        from config.tasks import task_failed_for_good
        from dashboard import tasks  # noqa: F401  (registers every package's tasks)
        from dashboard.domains.models import Domain, Membership
        from dashboard.domains.selectors import domain_access_changed
        from dashboard.platform.services import task_failure_received

        # A task whose attempts are spent becomes a replayable dead letter.
        task_failed_for_good.connect(
            task_failure_received, dispatch_uid="platform.dead_letters"
        )
        # Who may see which domain is cached per user (domains.selectors): any
        # change to permissions, memberships, users or domains renews it.
        user = get_user_model()
        for model in (
            UserObjectPermission,
            GroupObjectPermission,
            Membership,
            Domain,
            user,
        ):
            for signal in (post_save, post_delete):
                signal.connect(
                    domain_access_changed,
                    sender=model,
                    dispatch_uid=f"domains.access.{signal}.{model.__name__}",
                )
        m2m_changed.connect(
            domain_access_changed,
            sender=user.groups.through,
            dispatch_uid="domains.access.groups",
        )
