import type { NextConfig } from "next";

const config: NextConfig = {
  // otp-actions loads its optional drivers (better-sqlite3, ioredis, pg) only when a store needs
  // them: Node resolves that at run time, where a bundler would demand every driver at build time.
  serverExternalPackages: ["otp-actions"],
};

export default config;
