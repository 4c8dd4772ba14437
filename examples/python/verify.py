#!/usr/bin/env python3
"""Sign-in with a one-time code through the otp-actions service, with Python's standard library only.

Starts a verification for an email, reads its code from the development outbox (/dev/outbox; in
production the code reaches the user by email or SMS instead), shows a wrong code's refusal, checks
the right code, and shows that an approved verification cannot be used again. Exits non-zero on
any answer other than the expected one.

    OTP_URL=http://127.0.0.1:3000 OTP_API_KEY=... python3 verify.py user@example.com
"""

import json
import os
import sys
import urllib.error
import urllib.request

BASE_URL = os.environ.get("OTP_URL", "http://127.0.0.1:3000").rstrip("/")
API_KEY_FILE = os.path.join("data", "dev-api-key")  # where a development service keeps its key


class UnexpectedAnswer(Exception):
    """The service answered something this flow does not expect."""


def api_key():
    if os.environ.get("OTP_API_KEY"):
        return os.environ["OTP_API_KEY"]
    try:
        with open(API_KEY_FILE, encoding="utf-8") as file:
            return file.read().strip()
    except FileNotFoundError:
        sys.exit(f"Set OTP_API_KEY (or run this beside a development service's {API_KEY_FILE}).")


def call(method, path, body=None, auth=True):
    """One request; returns (status, parsed JSON body). Error statuses are answers too, not exceptions."""
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        data = json.dumps(body).encode("utf-8")
        headers["Content-Type"] = "application/json"
    if auth:
        headers["Authorization"] = f"Bearer {api_key()}"
    request = urllib.request.Request(BASE_URL + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.load(error)


def expect(answer, status, what):
    """The body when the status is the expected one; otherwise the flow stops."""
    got, body = answer
    if got != status:
        raise UnexpectedAnswer(f"{what}: expected {status}, got {got}: {json.dumps(body)}")
    return body


def code_from_outbox(verification_id):
    # A development service keeps the codes it sent, newest first.
    outbox = expect(call("GET", "/dev/outbox", auth=False), 200, "the outbox")
    for message in outbox["messages"]:
        if message["id"] == verification_id:
            return message["code"]
    raise UnexpectedAnswer(f"no message for verification {verification_id} in the outbox")


def main(email):
    started = expect(
        call("POST", "/v1/verifications", {"identifier": email, "purpose": "login"}),
        201,
        "starting a verification",
    )
    context = started["context"]
    print(f"started verification {started['id']} by {started['channel']}, code valid until {started['expiresAt']}")
    code = code_from_outbox(started["id"])

    wrong = "1" + code[1:] if code[0] != "1" else "2" + code[1:]
    refused = expect(
        call("POST", "/v1/verifications/check", {"code": wrong, "context": context, "purpose": "login"}),
        400,
        "checking a wrong code",
    )
    if refused.get("error_code") != "INVALID_OTP":
        raise UnexpectedAnswer(f"a wrong code: expected INVALID_OTP, got {json.dumps(refused)}")
    # The refusal carries the context for the next try; the one held so far works as well.
    context = refused["context"]
    shown = {name: value for name, value in refused.items() if name != "context"}
    print(f"wrong code refused: {json.dumps(shown)}")

    approved = expect(
        call("POST", "/v1/verifications/check", {"code": code, "context": context, "purpose": "login"}),
        200,
        "checking the right code",
    )
    if approved.get("status") != "approved" or approved.get("identifier") != email.lower():
        raise UnexpectedAnswer(f"the right code: expected approved for {email}, got {json.dumps(approved)}")
    print(f"approved: {approved['identifier']} ({approved['purpose']})")

    replayed = expect(
        call("POST", "/v1/verifications/check", {"code": code, "context": context, "purpose": "login"}),
        410,
        "checking the same code again",
    )
    if replayed.get("error_code") != "ALREADY_USED":
        raise UnexpectedAnswer(f"a replay: expected ALREADY_USED, got {json.dumps(replayed)}")
    print(f"replay refused: {replayed['error_code']}")


if __name__ == "__main__":
    try:
        main(sys.argv[1] if len(sys.argv) > 1 else "user@example.com")
    except UnexpectedAnswer as error:
        print(f"unexpected answer: {error}", file=sys.stderr)
        sys.exit(1)
    except (urllib.error.URLError, OSError, ValueError) as error:
        print(f"could not reach {BASE_URL}: {error}", file=sys.stderr)
        sys.exit(2)
