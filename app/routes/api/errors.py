"""FastAPI's request validation errors, in Japanese and with the field named."""
from __future__ import annotations

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.requests import Request

FIELD_LABEL = {
    "subjects": "対象人数", "handlers": "取扱者数", "serious_incident": "重大事故の有無",
    "exclusion": "除外の種類", "exclusions": "除外の種類", "org_kind": "機関の種類",
    "name": "名称", "department_id": "担当部署", "files": "特定個人情報ファイル",
    "jimu_id": "事務のID", "assessment_id": "評価書のID", "version_id": "版のID", "into": "取り込み先の評価書のID",
    "number": "評価書番号", "lock_version": "lock_version", "edition": "版(edition)", "format": "形式(format)",
    "stage": "段階", "form": "様式", "document": "評価書のJSON", "within": "期限の範囲(within)",
}

MESSAGES = {
    "missing": "{label}を入力してください。",
    "int_parsing": "{label}は整数で入力してください。",
    "int_from_float": "{label}は整数で入力してください。",
    "int_type": "{label}は整数で入力してください。",
    "bool_parsing": "{label}は true または false で指定してください。",
    "bool_type": "{label}は true または false で指定してください。",
    "greater_than_equal": "{label}は{limit}以上で入力してください。",
    "less_than_equal": "{label}は{limit}以下で入力してください。",
    "string_too_long": "{label}は{limit}文字以内で入力してください。",
    "string_too_short": "{label}を入力してください。",
    "enum": "{label}の値が不正です。指定できる値: {expected}",
    "literal_error": "{label}の値が不正です。指定できる値: {expected}",
    "json_invalid": "JSONの形式が正しくありません。",
    "model_attributes_type": "JSONオブジェクトで送信してください。",
    "dict_type": "JSONオブジェクトで送信してください。",
    "list_type": "{label}は配列で指定してください。",
    "date_from_datetime_parsing": "{label}は YYYY-MM-DD 形式の日付で入力してください。",
    "date_parsing": "{label}は YYYY-MM-DD 形式の日付で入力してください。",
    "date_type": "{label}は YYYY-MM-DD 形式の日付で入力してください。",
    "string_type": "{label}は文字列で指定してください。",
    "extra_forbidden": "{label}は指定できない項目です。",
}


def japanese(err: dict) -> dict:
    loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
    field = ".".join(loc) or "body"
    label = FIELD_LABEL.get(loc[-1] if loc else "", field)
    ctx = err.get("ctx") or {}
    limit = ctx.get("ge", ctx.get("le", ctx.get("max_length", ctx.get("min_length", ""))))
    template = MESSAGES.get(err.get("type", ""), "{label}の値が正しくありません。")
    return {"field": field, "message": template.format(label=label, limit=limit, expected=ctx.get("expected", ""))}


async def api_validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [japanese(e) for e in exc.errors()]
    return JSONResponse({"detail": "入力内容に誤りがあります。", "errors": errors}, status_code=422)
