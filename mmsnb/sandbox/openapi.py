"""The OpenAPI 3.0 document of the sandbox (and, as far as the card tells, of the gateway)."""

from __future__ import annotations

from typing import Any

from ..endpoints import DOC_PATH, LIMIT_PATH, SEND_PATH, STATUS_PATH, TOKEN_PATH
from ..message import PRIORITIES

_ERROR = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {"code": {"type": "integer"}, "message": {"type": "string"}, "description": {"type": "string"}},
}
_OAUTH_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


_ERR = {"$ref": "#/components/schemas/Error"}
_AUTH_ERRORS = {"401": _json(_ERR, "Invalid or expired credentials (code 41)")}

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
        },
        "security": [{"oauth": []}],
        "paths": {
            TOKEN_PATH: {
                "post": {
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
                        "400": _json({"$ref": "#/components/schemas/OAuthError"}, "Unsupported grant"),
                        "401": _json({"$ref": "#/components/schemas/OAuthError"}, "Bad client credentials"),
                    },
                }
            },
            SEND_PATH: {
                "post": {
                    "summary": "Send an MMS to one or more Orange numbers",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/MessagePart"}},
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "description": (
                                        "The messagePart JSON first; each attachment is a further part with its "
                                        "media type, "
                                        "a file name and Content-Transfer-Encoding: base64 (headers OpenAPI 3.0 "
                                        "cannot state "
                                        "for unnamed parts, so they are described here)."
                                    ),
                                    "required": ["messagePart"],
                                    "properties": {"messagePart": {"$ref": "#/components/schemas/MessagePart"}},
                                    "additionalProperties": False,
                                },
                                "encoding": {"messagePart": {"contentType": "application/json"}},
                            },
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
                        "400": _json(_ERR, "Wrong call parameters"),
                        **_AUTH_ERRORS,
                        "403": _json(_ERR, "Quota exceeded (code 53)"),
                    },
                }
            },
            STATUS_PATH: {
                "get": {
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
                        "400": _json(_ERR, "No id given"),
                        **_AUTH_ERRORS,
                    },
                }
            },
            LIMIT_PATH: {
                "get": {
                    "summary": "Request quota",
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["used", "available", "date"],
                                "properties": {
                                    "used": {"type": "string"},
                                    "available": {"type": "string"},
                                    "date": {"type": "string"},
                                },
                            },
                            "Requests used and left, and the reset date",
                        ),
                        **_AUTH_ERRORS,
                    },
                }
            },
            DOC_PATH: {
                "get": {
                    "summary": "This document",
                    "security": [],
                    "responses": {"200": _json({"type": "object"}, "OpenAPI 3.0")},
                }
            },
        },
    }
