"""Routers, one module per screen or resource."""
from app.routes import account, admin, audit, auth, determinations, docs, home, incidents, jimu
from app.routes.api import jimu as api_jimu
from app.routes.api import threshold as api_threshold

ROUTERS = [
    auth.router, home.router, jimu.router, determinations.router, incidents.router, admin.router,
    audit.router, account.router, docs.router, api_threshold.router, api_jimu.router,
]
