/** What the client sends and how it reads answers that are not the service's, through a fetch of the test's own. */
import { describe, expect, it } from "vitest";
import { createOtpClient, type OtpClientError } from "../../src/client/index.js";

interface Sent {
  url: string;
  init: RequestInit;
}

function recording(answer: () => Response) {
  const sent: Sent[] = [];
  const fetch = async (url: string, init: RequestInit): Promise<Response> => {
    sent.push({ url, init });
    return answer();
  };
  return { sent, fetch };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });

describe("otp-actions/client requests", () => {
  it("keeps the base URL's path, sends the key as a bearer token, JSON and the request id", async () => {
    const { sent, fetch } = recording(() =>
      json(200, { id: "x", status: "pending", attempts: 0, sessionExpiresAt: "2030-01-01T00:00:00.000Z" }),
    );
    const client = createOtpClient({ baseUrl: "https://otp.example.com/prefix", apiKey: "k-123", fetch });
    await client.get("a/b c", { requestId: "req-1" });
    await client.check({ context: "ctx", code: "123456", purpose: "login" });
    expect(sent[0]!.url).toBe("https://otp.example.com/prefix/v1/verifications/a%2Fb%20c");
    expect(sent[0]!.init).toMatchObject({ method: "GET", headers: { authorization: "Bearer k-123", "x-request-id": "req-1" } });
    expect(sent[0]!.init.body).toBeUndefined();
    expect(sent[1]!.url).toBe("https://otp.example.com/prefix/v1/verifications/check");
    expect(sent[1]!.init).toMatchObject({ method: "POST", headers: { "content-type": "application/json" } });
    expect(JSON.parse(String(sent[1]!.init.body))).toEqual({ context: "ctx", code: "123456", purpose: "login" });
  });

  it("reads Retry-After when the body has no retry_after_seconds", async () => {
    const { fetch } = recording(() => json(429, { error: "Too many requests.", error_code: "RATE_LIMITED" }, { "retry-after": "12" }));
    const client = createOtpClient({ baseUrl: "http://127.0.0.1:1", apiKey: "k", fetch });
    await expect(client.start({ identifier: "a@example.com", purpose: "login" })).rejects.toMatchObject({
      errorCode: "RATE_LIMITED",
      status: 429,
      retryAfterSeconds: 12,
    });
  });

  it("throws INVALID_RESPONSE for an answer that is not the service's: a proxy's HTML error, a 200 that is not JSON", async () => {
    const html = recording(() => new Response("<html>Bad gateway</html>", { status: 502, headers: { "content-type": "text/html" } }));
    const proxied = createOtpClient({ baseUrl: "http://127.0.0.1:1", apiKey: "k", fetch: html.fetch });
    const error = (await proxied.get("abc").catch((caught: unknown) => caught)) as OtpClientError;
    expect(error).toMatchObject({ name: "OtpClientError", errorCode: "INVALID_RESPONSE", status: 502 });

    const garbled = recording(() => new Response("not json", { status: 200 }));
    const client = createOtpClient({ baseUrl: "http://127.0.0.1:1", apiKey: "k", fetch: garbled.fetch });
    await expect(client.get("abc")).rejects.toMatchObject({ errorCode: "INVALID_RESPONSE", status: 200 });
  });

  it("refuses bad options without echoing the key", () => {
    const options = { baseUrl: "http://127.0.0.1:1", apiKey: "secret key with spaces" };
    expect(() => createOtpClient(options)).toThrow(TypeError);
    try {
      createOtpClient(options);
    } catch (error) {
      expect(String(error)).not.toContain("secret");
    }
    expect(() => createOtpClient({ baseUrl: "ftp://example.com", apiKey: "k" })).toThrow(/http/);
    expect(() => createOtpClient({ baseUrl: "not a url", apiKey: "k" })).toThrow(/baseUrl/);
    expect(() => createOtpClient({ baseUrl: "https://user:pw@example.com", apiKey: "k" })).toThrow(/credentials/);
    expect(() => createOtpClient({ baseUrl: "https://example.com", apiKey: "" })).toThrow(/apiKey/);
    expect(() => createOtpClient({ baseUrl: "https://example.com", apiKey: "k", timeoutMs: 0 })).toThrow(/timeoutMs/);
  });
});
