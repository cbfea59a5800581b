"""A FastAPI app: sync and async endpoints, on the app and on an included router."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, HTTPException

router = APIRouter(prefix="/items")


@router.get("/{item_id}")
def read_item(item_id: str) -> dict[str, str]:
    if item_id == "missing":
        raise HTTPException(status_code=404)
    return {"id": item_id}


@router.post("/")
async def create_item() -> dict[str, str]:
    return {"id": "new"}


app = FastAPI()


@app.get("/health")
async def health() -> dict[str, bool]:
    return {"ok": True}


app.include_router(router)
