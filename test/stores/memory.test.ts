import { memoryStore } from "../../src/stores/memory.js";
import { runStoreConformance } from "../../src/testing/index.js";

runStoreConformance("memory", async () => ({ store: memoryStore() }));
