from __future__ import annotations

from fastapi import APIRouter

from souk.api.problems import PROBLEM_RESPONSES

router = APIRouter(tags=["fulfilment"], responses=PROBLEM_RESPONSES)
