// What both TypeScript clients share: the service's address and keys from the test, and numbered steps.
import { strict as assert } from "node:assert";

export const [baseUrl = "", gridWorkerKey = "", communityKey = "", departmentKey = "", supervisorKey = "", photoPath = ""] = process.argv.slice(2);

let passed = 0;

/** One step of the order's life: its checks hold, or the program stops with the step's name. */
export async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
  try {
    const result = await run();
    passed++;
    console.log(`ok ${passed} ${name}`);
    return result;
  } catch (error) {
    console.error(`not ok ${passed + 1} ${name}: ${error instanceof Error ? error.stack : String(error)}`);
    process.exit(1);
  }
}

export function done(): void {
  console.log(`${passed} steps passed`);
}

export { assert };

export const filing = {
  title: "Overflowing bins at gate 3",
  description: "The bins by gate 3 have not been emptied for three days.",
  categoryCode: "garbage",
  gridCode: "ST01-C01-G01",
  location: { latitude: 40.8424, longitude: 111.7492, address: "Gate 3, Building 12" },
  priority: "normal",
} as const;
