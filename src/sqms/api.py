"""The REST API at /api/v1/: one NinjaAPI object mounting each app's router."""

from __future__ import annotations

from ninja import NinjaAPI

from sqms.common.api import BearerToken, JsonBody, Session, install_handlers
from sqms.complaints.api import router as complaints_router
from sqms.evaluations.api import router as evaluations_router
from sqms.inspections.api import router as inspections_router
from sqms.metrics.api import router as metrics_router
from sqms.org.api import router as org_router
from sqms.surveys.api import router as surveys_router

api = NinjaAPI(
    title="SQMS API",
    version="1",
    description=(
        "Service Quality Management System. Authenticate with `Authorization: Bearer <token>` "
        "(create a token under Account → API tokens, or `sqms token create --user NAME`) or with "
        "the browser session. Errors are `application/problem+json`. Creating POSTs accept an "
        "`Idempotency-Key` header."
    ),
    auth=[BearerToken(), Session()],
    urls_namespace="api",
    parser=JsonBody(),
)
install_handlers(api)
api.add_router("/org", org_router)
api.add_router("/complaints", complaints_router)
api.add_router("/inspections", inspections_router)
api.add_router("/surveys", surveys_router)
api.add_router("/metrics", metrics_router)
api.add_router("/evaluations", evaluations_router)
