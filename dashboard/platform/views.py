"""Operator pages: dead letters, listed and replayed (staff only)."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from dashboard.platform import services
from dashboard.platform.models import DeadLetter
from dashboard.platform.pagination import BadCursor, clamp_page_size, keyset_page


@staff_member_required
def dead_letter_list(request: HttpRequest) -> HttpResponse:
    try:
        page = keyset_page(
            DeadLetter.objects.select_related("domain"),
            ordering=("-failed_at", "-id"),
            cursor=request.GET.get("cursor"),
            page_size=clamp_page_size(request.GET.get("page_size")),
        )
    except BadCursor as exc:
        return render(
            request, "dashboard/dead_letters.html", {"error": str(exc)}, status=400
        )
    return render(request, "dashboard/dead_letters.html", {"page": page})


@staff_member_required
@require_POST
def dead_letter_replay(request: HttpRequest, pk: int) -> HttpResponse:
    letter = get_object_or_404(DeadLetter, pk=pk)
    task_id = services.dead_letter_replay(letter=letter)
    messages.success(request, f"Dead letter #{letter.pk} replayed as task {task_id}.")
    return redirect("platform:dead-letter-list")
