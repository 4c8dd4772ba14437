/** The live service the client tests call: a real HTTP port, a SQLite store in a temporary folder, the outbox for codes. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createOtpClient, type OtpClient } from "../../src/client/index.js";
import { generateKey } from "../../src/core/keyring.js";
import { loadConfig } from "../../src/server/config.js";
import { startService, type RunningService } from "../../src/server/service.js";

export const API_KEY = "client-api-key-0123456789abcdef";

export interface ClientService {
  service: RunningService;
  client: OtpClient;
  stop(): Promise<void>;
}

/** A service whose one API key has `scopes`, and a client with that key. */
export async function startClientService(scopes: string): Promise<ClientService> {
  const dir = mkdtempSync(join(tmpdir(), "otp-client-"));
  const config = loadConfig({
    PORT: "0",
    OTP_STORE: `sqlite:${join(dir, "otp.db")}`,
    OTP_KEYS: generateKey("c1"),
    OTP_API_KEYS: `${API_KEY} ${scopes}`,
  });
  const service = await startService(config, { say: () => {}, logger: false });
  return {
    service,
    client: createOtpClient({ baseUrl: service.url, apiKey: API_KEY }),
    async stop() {
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
