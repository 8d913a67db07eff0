"""Building blocks shared by the OpenAPI fragments (responses, security)."""


def problem_response(description: str) -> dict:
    return {
        "description": description,
        "content": {
            "application/problem+json": {
                "schema": {"$ref": "#/components/schemas/Problem"}
            }
        },
    }


def json_response(description: str, schema: str) -> dict:
    return {
        "description": description,
        "content": {
            "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}
        },
    }


TOKEN = [{"ingestToken": []}]
AUTH_ERRORS = {
    "401": problem_response("No token, or an unknown or revoked one."),
    "403": problem_response("The token lacks the `ci` scope."),
}
