"""Domain pages. Thin: restrict, validate, call a selector or service, render."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from dashboard import selectors, services
from dashboard.models import DeadLetter
from dashboard.pagination import clamp_page_size, keyset_page


@login_required
def domain_list(request: HttpRequest) -> HttpResponse:
    domains = selectors.domains_for(request.user).order_by("slug")
    return render(request, "dashboard/domain_list.html", {"domains": domains})


@login_required
def domain_detail(request: HttpRequest, slug: str) -> HttpResponse:
    domain = selectors.domain_for(request.user, slug, path=request.path)
    context = {
        "domain": domain,
        "services": domain.services.all(),
        "repositories": domain.repositories.all(),
    }
    return render(request, "dashboard/domain_detail.html", context)


@staff_member_required
def dead_letter_list(request: HttpRequest) -> HttpResponse:
    page = keyset_page(
        DeadLetter.objects.select_related("domain"),
        ordering=("-failed_at", "-id"),
        cursor=request.GET.get("cursor"),
        page_size=clamp_page_size(request.GET.get("page_size")),
    )
    return render(request, "dashboard/dead_letters.html", {"page": page})


@staff_member_required
@require_POST
def dead_letter_replay(request: HttpRequest, pk: int) -> HttpResponse:
    letter = get_object_or_404(DeadLetter, pk=pk)
    task_id = services.dead_letter_replay(letter=letter)
    messages.success(request, f"Dead letter #{letter.pk} replayed as task {task_id}.")
    return redirect("dashboard:dead-letter-list")
