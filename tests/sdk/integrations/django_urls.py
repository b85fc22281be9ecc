"""The Django flavour of the shop app (tests.sdk.integrations.apps)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path

from tests.sdk.integrations.apps import CSP, PAGE, view_boom, view_fail, view_page


def page(_: HttpRequest) -> HttpResponse:
    view_page()
    return HttpResponse(PAGE)


def csp(_: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE, headers={"Content-Security-Policy": CSP})


def optout(_: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE, headers={"X-BugRelay-Inject": "off"})


def data(_: HttpRequest) -> JsonResponse:
    return JsonResponse({"items": 3})


def fail(_: HttpRequest) -> JsonResponse:
    view_fail()
    return JsonResponse({"error": "timeout"}, status=500)


def boom(_: HttpRequest) -> HttpResponse:
    view_boom()
    return HttpResponse()


urlpatterns = [
    path("page", page),
    path("csp", csp),
    path("optout", optout),
    path("data.json", data),
    path("fail", fail),
    path("boom", boom),
]
