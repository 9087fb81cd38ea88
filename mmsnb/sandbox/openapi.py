"""The OpenAPI 3.0 document of the sandbox (and, as far as the card tells, of the gateway).

Every operation has an ``operationId`` and lists every answer the sandbox can give it, in the
card's error shape (``{"code", "message", "description"}``; the token endpoint's errors in the
OAuth shape). 404 and 405 are listed on every operation because the sandbox gives them for any
path or method it does not serve.

>>> doc = document("https://127.0.0.1:8443", "https://127.0.0.1:8443/oauth/v2/token")
>>> sorted(op["operationId"] for path in doc["paths"].values() for op in path.values())
['getApiDocument', 'getDeliveryStatus', 'getLimit', 'getToken', 'sendMms']
"""

from __future__ import annotations

from typing import Any

from ..endpoints import DOC_PATH, LIMIT_PATH, SEND_PATH, STATUS_PATH, TOKEN_PATH
from ..message import PRIORITIES, SUPPORTED_TYPES

_ERROR = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {"code": {"type": "integer"}, "message": {"type": "string"}, "description": {"type": "string"}},
}
#: The limit answer's counts are whole numbers written as strings (``"used": "1"``).
_WHOLE_NUMBER = "^[0-9]+$"
_OAUTH_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
}


def _json(schema: dict[str, Any], description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description, "content": {"application/json": {"schema": schema}}}
    if headers:
        answer["headers"] = headers
    return answer


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


_ERR = _ref("schemas", "Error")
_RETRY_AFTER = _ref("headers", "Retry-After")

#: The answers every operation can get, by HTTP status (components/responses).
_RESPONSES: dict[str, dict[str, Any]] = {
    "BadRequest": _json(_ERR, "Wrong call parameters (code 21 in the sandbox)."),
    "Unauthorized": _json(_ERR, "Missing, invalid or expired access token (code 41)."),
    "QuotaExceeded": _json(_ERR, "The request quota is used up until its reset date (code 53)."),
    "NotFound": _json(_ERR, "No such resource (code 404); the sandbox answers so for any path it does not serve."),
    "MethodNotAllowed": _json(
        _ERR,
        "The path takes another method (code 405); the sandbox answers so for any method a path does not take.",
        {"Allow": {"description": "The method the path takes.", "schema": {"type": "string"}}},
    ),
    "PayloadTooLarge": _json(_ERR, "The request body is larger than the gateway reads (code 413)."),
    "TooManyRequests": _json(
        _ERR,
        "Slow down (code 429): the request was not processed, nor counted against the quota. Send it again after "
        "Retry-After.",
        {"Retry-After": _RETRY_AFTER},
    ),
    "InternalError": _json(_ERR, "The service failed (code 1); the request may or may not have been processed."),
    "BadGateway": {
        "description": "A proxy in front of the service failed; the body may be an HTML page.",
        "content": {"text/html": {"schema": {"type": "string"}}, "application/json": {"schema": _ERR}},
    },
    "ServiceUnavailable": _json(
        _ERR,
        "Slow down (code 503) with Retry-After: the request was not processed. Without Retry-After: the service is "
        "unavailable.",
        {"Retry-After": _RETRY_AFTER},
    ),
}
_STATUS_OF = {
    "BadRequest": "400",
    "Unauthorized": "401",
    "QuotaExceeded": "403",
    "NotFound": "404",
    "MethodNotAllowed": "405",
    "PayloadTooLarge": "413",
    "TooManyRequests": "429",
    "InternalError": "500",
    "BadGateway": "502",
    "ServiceUnavailable": "503",
}


def _errors(*names: str) -> dict[str, Any]:
    """``responses`` entries referring to the shared answers ``names``."""
    return {_STATUS_OF[name]: _ref("responses", name) for name in names}


#: What any path and method can get, and what every API call (send, status, limit) can get besides.
_ANYWHERE = ("NotFound", "MethodNotAllowed", "PayloadTooLarge")
_API = ("Unauthorized", *_ANYWHERE, "TooManyRequests", "InternalError", "BadGateway", "ServiceUnavailable")

_MESSAGE_PART = {
    "type": "object",
    "required": ["addresses"],
    "properties": {
        "addresses": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "string",
                "pattern": "^(tel:|tel%3[Aa])(\\+|%2[Bb])?[0-9]{6,15}$",
                "example": "tel:+48501102030",
            },
        },
        "subject": {"type": "string"},
        "priority": {"type": "string", "enum": list(PRIORITIES)},
        "senderAddress": {"type": "string"},
        "deliveryReport": {"type": "boolean"},
    },
}

#: The attachment parts' encoding. OpenAPI 3.0 keys ``encoding`` by part name, and an attachment's part is named
#: after its file, so this cannot sit in ``encoding``; it is stated here (an extension) and in the descriptions.
_ATTACHMENT_ENCODING = {
    "contentType": ", ".join(sorted(SUPPORTED_TYPES)),
    "headers": {
        "Content-Transfer-Encoding": {
            "description": "base64, as the card asks (the sandbox also takes the raw bytes without this header).",
            "schema": {"type": "string", "enum": ["base64"]},
        }
    },
}
_MULTIPART = {
    "schema": {
        "type": "object",
        "description": (
            "The messagePart JSON first (as the card shows; the sandbox finds it by name wherever it is), then one "
            "part per attachment, named after its file, with the file's media type, its file name and "
            "Content-Transfer-Encoding: base64 (what the card asks; mmsnb sends that). The sandbox also accepts "
            "attachment parts with the raw bytes (no Content-Transfer-Encoding, or binary), as generated clients "
            "send them; a part without a media type is text/plain (RFC 7578)."
        ),
        "required": ["messagePart"],
        "properties": {"messagePart": _ref("schemas", "MessagePart")},
        "additionalProperties": {
            "type": "string",
            "format": "binary",
            "minLength": 1,
            "description": "An attachment: part name and file name are the file's name; base64 on the wire.",
        },
    },
    "encoding": {"messagePart": {"contentType": "application/json"}},
    "x-attachment-encoding": _ATTACHMENT_ENCODING,
}


def document(url: str, token_url: str) -> dict[str, Any]:
    """The OpenAPI document, with the sandbox's own server URL."""
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "MMSOnnet (mmsnb sandbox)",
            "version": "v1",
            "description": "Multimedia messages to Orange Polska numbers. Quota counts send requests.",
        },
        "servers": [{"url": url}],
        "components": {
            "securitySchemes": {
                "oauth": {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": token_url, "scopes": {}}}},
                "basic": {"type": "http", "scheme": "basic"},
            },
            "schemas": {
                "Error": _ERROR,
                "OAuthError": _OAUTH_ERROR,
                "MessagePart": _MESSAGE_PART,
            },
            "headers": {
                "Retry-After": {
                    "description": "Seconds to wait (the sandbox may give a fraction, e.g. 0.5) or an HTTP date.",
                    "schema": {"type": "string"},
                }
            },
            "responses": _RESPONSES,
        },
        "security": [{"oauth": []}],
        "paths": {
            TOKEN_PATH: {
                "post": {
                    "operationId": "getToken",
                    "summary": "Access token (client credentials, id and secret in HTTP Basic auth)",
                    "security": [{"basic": []}],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/x-www-form-urlencoded": {
                                "schema": {
                                    "type": "object",
                                    "required": ["grant_type"],
                                    "properties": {"grant_type": {"type": "string", "enum": ["client_credentials"]}},
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["access_token", "token_type", "expires_in"],
                                "properties": {
                                    "access_token": {"type": "string"},
                                    "token_type": {"type": "string", "enum": ["Bearer"]},
                                    "expires_in": {"type": "integer"},
                                },
                            },
                            "A bearer token",
                        ),
                        "400": _json(_ref("schemas", "OAuthError"), "Unsupported grant (unsupported_grant_type)"),
                        "401": _json(
                            _ref("schemas", "OAuthError"),
                            "Bad client credentials (invalid_client)",
                            {"WWW-Authenticate": {"description": "Basic realm", "schema": {"type": "string"}}},
                        ),
                        **_errors(*_ANYWHERE),
                    },
                }
            },
            SEND_PATH: {
                "post": {
                    "operationId": "sendMms",
                    "summary": "Send an MMS to one or more Orange numbers",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": _ref("schemas", "MessagePart")},
                            "multipart/form-data": _MULTIPART,
                        },
                    },
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["authenticationId"],
                                "properties": {
                                    "authenticationId": {"type": "string"},
                                    "deliveryStatus": {"type": "string"},
                                },
                            },
                            "Accepted",
                        ),
                        **_errors("BadRequest", "QuotaExceeded", *_API),
                    },
                }
            },
            STATUS_PATH: {
                "get": {
                    "operationId": "getDeliveryStatus",
                    "summary": "Delivery status of a sent message",
                    "parameters": [
                        {"name": "id", "in": "query", "required": True, "schema": {"type": "string", "minLength": 1}}
                    ],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["status"],
                                "properties": {
                                    "status": {"type": "string"},
                                    "deliveryInfo": {
                                        "type": "array",
                                        "items": {
                                            "type": "object",
                                            "required": ["address", "status"],
                                            "properties": {"address": {"type": "string"}, "status": {"type": "string"}},
                                        },
                                    },
                                },
                            },
                            "The status",
                        ),
                        **_errors("BadRequest", *_API),
                    },
                }
            },
            LIMIT_PATH: {
                "get": {
                    "operationId": "getLimit",
                    "summary": "Request quota",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["used", "available", "date"],
                                "properties": {
                                    "used": {"type": "string", "pattern": _WHOLE_NUMBER},
                                    "available": {"type": "string", "pattern": _WHOLE_NUMBER},
                                    "date": {"type": "string"},
                                },
                            },
                            "Requests used and left, and the reset date",
                        ),
                        **_errors(*_API),
                    },
                }
            },
            DOC_PATH: {
                "get": {
                    "operationId": "getApiDocument",
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": _json({"type": "object"}, "OpenAPI 3.0"), **_errors(*_ANYWHERE)},
                }
            },
        },
    }
