"""The anchor for bench/intake.py: a bare Starlette endpoint that only parses the JSON body,
served by uvicorn as ``bugrelay serve`` serves the collector."""

from __future__ import annotations

import sys

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


async def take(request: Request) -> Response:
    data = await request.json()
    return JSONResponse({"id": data["id"], "group_id": 1}, status_code=202)


app = Starlette(routes=[Route("/api/v1/projects/{project_id:int}/reports", take, methods=["POST"])])

if __name__ == "__main__":
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(sys.argv[1]),
        log_level="warning",
        timeout_graceful_shutdown=10,
        server_header=False,
    )
