"""POST /api/v1/threshold — the しきい値判断 as a pure calculation (nothing is recorded)."""
from __future__ import annotations

from fastapi import APIRouter, Depends

from app.deps import ActorDep
from app.domain import threshold as th
from app.routes.api.schemas import WRITE_ERRORS, ThresholdRequest, ThresholdResponse
from app.routes.api.strict import reject_unknown_query

router = APIRouter(prefix="/api/v1", tags=["しきい値判断"], dependencies=[Depends(reject_unknown_query)])


@router.post("/threshold", response_model=ThresholdResponse,
             responses={k: WRITE_ERRORS[k] for k in (400, 401, 403, 413, 422)},
             summary="しきい値判断を計算する")
def threshold(body: ThresholdRequest, actor: ActorDep) -> dict:
    """対象人数・取扱者数・重大事故・除外から、義務付けられる評価と手続、判断の理由を返します。"""
    exclusions = frozenset({th.Exclusion(body.exclusion)} if body.exclusion else set())
    inp = th.ThresholdInput(body.subjects, body.handlers, body.serious_incident, exclusions, th.OrgKind(body.org_kind))
    return th.determine(inp).as_dict()
