"""POST /floor/: parse a JSON body, insert one row, answer 201 with its id. No auth, no CSRF,
no validation beyond the JSON parse: the floor under any real intake endpoint."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from bench.floor.models import FloorRow


@csrf_exempt
@require_POST
def floor(request: HttpRequest) -> HttpResponse:
    try:
        data = json.loads(request.body)
    except ValueError:
        return JsonResponse({"error": "invalid JSON"}, status=400)
    row = FloorRow.objects.create(
        unit=str(data.get("unit", ""))[:40], description=str(data.get("description", ""))
    )
    return JsonResponse({"id": row.pk}, status=201)


def healthz(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"status": "ok"})
