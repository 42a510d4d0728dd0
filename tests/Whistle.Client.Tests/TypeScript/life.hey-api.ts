// An order's life through the SDK @hey-api/openapi-ts generated (its fetch client), as its guide shows.
import { readFileSync } from "node:fs";
import { createClient } from "./generated/hey-api/client/index.js";
import * as sdk from "./generated/hey-api/sdk.gen.js";
import type { ActionNotPermittedProblem, StaleOrderProblem } from "./generated/hey-api/types.gen.js";
import { assert, baseUrl, communityKey, departmentKey, done, filing, gridWorkerKey, photoPath, step, supervisorKey } from "./steps.js";

const as = (key: string) => createClient({ baseUrl, headers: { "X-Api-Key": key } });
const gridWorker = as(gridWorkerKey);
const community = as(communityKey);
const department = as(departmentKey);
const supervisor = as(supervisorKey);

const filed = await step("file", async () => {
  const { data, response } = await sdk.fileOrder({ client: gridWorker, body: { ...filing } });
  assert.equal(response.status, 201);
  assert.equal(data?.state, "discovered");
  return data!;
});
const path = { id: filed.id };

await step("whistle", async () => {
  const { data } = await sdk.whistleOrder({ client: community, path, body: {} });
  assert.equal(data?.state, "whistled");
});

const etag = await step("read with its ETag", async () => {
  const { response } = await sdk.getOrder({ client: department, path });
  return response.headers.get("ETag") ?? "";
});

await step("acknowledge with If-Match", async () => {
  const { data } = await sdk.acknowledgeOrder({ client: department, path, headers: { "If-Match": etag }, body: { note: "Crew 2." } });
  assert.equal(data?.state, "acknowledged");
});

await step("resolve", async () => {
  const { data } = await sdk.resolveOrder({ client: department, path, body: { result: "Bins emptied." } });
  assert.equal(data?.state, "resolved");
});

const evaluated = await step("evaluate", async () => {
  const { data } = await sdk.evaluateOrder({ client: community, path, body: { rating: "satisfied" } });
  assert.equal(data?.state, "closed");
  return data!;
});

await step("history", async () => {
  const { data } = await sdk.getOrderHistory({ client: gridWorker, path });
  assert.deepEqual(data?.map(entry => entry.action), ["file", "whistle", "acknowledge", "resolve", "evaluate"]);
  assert.equal(data?.[3]?.details["result"], "Bins emptied.");
});

await step("a 409 read as the action's problem", async () => {
  const { error, response } = await sdk.resolveOrder({ client: department, path, body: { result: "Again" } });
  assert.equal(response.status, 409);
  const problem: ActionNotPermittedProblem | undefined = error;
  assert.equal(problem?.state, "closed");
  assert.equal(typeof problem?.traceId, "string");
});

await step("a 412 naming the current ETag", async () => {
  const { error, response } = await sdk.evaluateOrder({ client: community, path, headers: { "If-Match": etag }, body: { rating: "unsatisfied", comment: "Overflowing again." } });
  assert.equal(response.status, 412);
  const problem = error as StaleOrderProblem | undefined;
  assert.equal(problem?.currentVersion, evaluated.version);
});

await step("a conditional request: If-None-Match is 304", async () => {
  const first = await sdk.getSummary({ client: supervisor });
  const tag = first.response.headers.get("ETag") ?? "";
  const again = await sdk.getSummary({ client: supervisor, headers: { "If-None-Match": tag } });
  assert.equal(again.response.status, 304);
  assert.equal(again.data, undefined);
});

await step("a download as text", async () => {
  // A file: typed as a Blob, read as text here.
  const { data } = await sdk.getSummaryCsv({ client: supervisor, parseAs: "blob" });
  assert.ok(data instanceof Blob && (await data.text()).includes("dispatchedOrders"));
});

await step("file with a photo in one request", async () => {
  const photo = new Blob([readFileSync(photoPath)], { type: "image/png" });
  const { data, response } = await sdk.fileOrderWithPhotos({ client: gridWorker, body: { order: { ...filing }, file: [photo] } });
  assert.equal(response.status, 201);
  assert.equal(data?.photos.length, 1);
});

done();
