"""Routers, one module per screen or resource."""
from app.routes import (
    account, admin, assessments, audit, auth, determinations, directory, docs, editor, exports, formcheck, formnotice, home,
    incidents, jimu,
    library, lifecycle, procedure, queue,
)
from app.routes.api import assessments as api_assessments
from app.routes.api import jimu as api_jimu
from app.routes.api import threshold as api_threshold

ROUTERS = [
    auth.router, home.router, jimu.router, determinations.router, incidents.router, admin.router, directory.router,
    audit.router, account.router, docs.router, assessments.router, editor.router, library.router, exports.router,
    procedure.router, queue.router, lifecycle.router, formnotice.router, formcheck.router,
    api_threshold.router, api_jimu.router, api_assessments.router,
]
