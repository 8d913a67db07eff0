"""Operator pages (dead letters, listed and replayed; staff only) and the 400
answer every view shares."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from dashboard.platform import services
from dashboard.platform.models import DeadLetter
from dashboard.platform.pagination import page_of
from dashboard.platform.problems import problem


@staff_member_required
def dead_letter_list(request: HttpRequest) -> HttpResponse:
    page = page_of(
        request,
        DeadLetter.objects.select_related("domain"),
        ordering=("-failed_at", "-id"),
    )
    return render(request, "dashboard/dead_letters.html", {"page": page})


@staff_member_required
@require_POST
def dead_letter_replay(request: HttpRequest, pk: int) -> HttpResponse:
    letter = get_object_or_404(DeadLetter, pk=pk)
    task_id = services.dead_letter_replay(letter=letter)
    messages.success(request, f"Dead letter #{letter.pk} replayed as task {task_id}.")
    return redirect("platform:dead-letter-list")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler400 (config/urls.py): problem+json under /api/, a page elsewhere,
    both saying what was wrong (a forged cursor, say) and how to go on."""
    detail = str(exception) or "The request could not be understood."
    if request.path.startswith("/api/"):
        return problem(400, detail)
    context = {"detail": detail, "restart": request.path}
    return render(request, "400.html", context, status=400)
